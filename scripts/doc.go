// Package scripts holds the shell scripts of the Taskfile (up, down,
// archlint, ...); its Go tests check their logic with fake commands on PATH.
package scripts
