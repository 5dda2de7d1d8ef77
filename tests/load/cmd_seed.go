package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

const defaultKeyFile = ".dev/jwt.pem" // the api's development key

// runSeed writes the rows (unless -skip-db) and the tokens, then the seed
// file every workload reads.
func runSeed(ctx context.Context, args []string) error {
	fs := newFlags("seed")
	dsn := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (migrated schema)")
	keyFile := fs.String("key", env("JWT_PRIVATE_KEY_FILE", defaultKeyFile), "the api's signing key (PEM)")
	issuer := fs.String("issuer", env("JWT_ISSUER", "chatforge"), "token issuer (the api's JWT_ISSUER)")
	audience := fs.String("audience", env("JWT_AUDIENCE", "chatforge"), "token audience (the api's JWT_AUDIENCE)")
	var l seed.Layout
	fs.IntVar(&l.Users, "users", 100000, "users (one session and one token each)")
	fs.IntVar(&l.RoomSize, "room-size", 10, "members per group room")
	fs.IntVar(&l.BigRoomMembers, "big-room", 5000, "members of the one big room (users 0..n-1)")
	fs.IntVar(&l.HistoryRooms, "history-rooms", 200, "group rooms given a history")
	fs.IntVar(&l.MessagesPerRoom, "messages", 200, "messages in each history room")
	fs.BoolVar(&l.PlainHistory, "plain-history", false, "no edits or reactions in the history (every 3rd message is edited and every 4th has reactions otherwise)")
	ttl := fs.Duration("token-ttl", 7*24*time.Hour, "access token lifetime (tokens are cached and reused)")
	out := fs.String("out", ".dev/load/seed.json", "seed file to write")
	skipDB := fs.Bool("skip-db", false, "only mint tokens and write the seed file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	key, err := signingKey(*keyFile)
	if err != nil {
		return err
	}
	signer := authn.NewSigner(key, *issuer, *audience, *ttl)
	absOut, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	f := seed.File{Layout: l, KeyID: signer.KeyID(), Issuer: *issuer, Audience: *audience, CreatedAt: time.Now().UTC(),
		TokensFile: filepath.Join(filepath.Dir(absOut), "tokens-"+signer.KeyID()[:12]+".txt")}

	report := map[string]any{"seedFile": absOut, "layout": l}
	if !*skipDB {
		if *dsn == "" {
			return errors.New("-database-url or DATABASE_URL is required (or -skip-db)")
		}
		t0 := time.Now()
		conn, err := pgx.Connect(ctx, *dsn)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		counts, err := seed.Insert(ctx, conn, l, time.Now())
		if err != nil {
			return err
		}
		report["rows"], report["insertSec"] = counts, time.Since(t0).Seconds()
		fmt.Fprintf(os.Stderr, "seed: %+v rows in %.1fs\n", counts, time.Since(t0).Seconds())
	}
	t1 := time.Now()
	minted, err := seed.EnsureTokens(f.TokensFile, signer, *issuer, *audience, l.Users, time.Now())
	if err != nil {
		return err
	}
	report["tokensMinted"], report["tokensReused"], report["tokenSec"] = minted, l.Users-minted, time.Since(t1).Seconds()
	fmt.Fprintf(os.Stderr, "seed: %d tokens minted, %d reused from the cache, in %.1fs\n", minted, l.Users-minted, time.Since(t1).Seconds())
	if err := f.Write(absOut); err != nil {
		return err
	}
	return writeJSON("", report)
}

// signingKey reads the key; the development default is created when
// missing, as the api itself would (outside production).
func signingKey(path string) (*rsa.PrivateKey, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && path == defaultKeyFile {
		return authn.LoadOrCreateDevKey(path)
	}
	return authn.LoadPrivateKey(path)
}
