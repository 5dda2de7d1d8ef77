package messaging

import "github.com/chatforge/chat/modules/messaging/internal/ports/streamcmd"

// The gateway <-> api command link (see docs: gateway commands). The gateway
// appends a Command to CommandStream; api instances read it through the
// consumer group CommandGroup (RunCommands), execute it and append a
// Reply to the gateway's own reply stream (ReplyStreamPrefix + gateway id).
//
// The definitions live in the streamcmd port, which cannot import this
// package (this package starts it); these aliases are the public face.

// Stream names and limits.
const (
	CommandStream       = streamcmd.CommandStream
	CommandGroup        = streamcmd.CommandGroup
	CommandStreamMaxLen = streamcmd.CommandStreamMaxLen
	ReplyStreamPrefix   = streamcmd.ReplyStreamPrefix
	ReplyStreamMaxLen   = streamcmd.ReplyStreamMaxLen
	ReplyStreamTTL      = streamcmd.ReplyStreamTTL
)

// Command types (equal to the socket event names).
const (
	CmdSendMessage = streamcmd.CmdSendMessage
	CmdJoinRoom    = streamcmd.CmdJoinRoom
	CmdMarkRead    = streamcmd.CmdMarkRead
)

// Reply error codes.
const (
	CodeBadRequest  = streamcmd.CodeBadRequest
	CodeNotFound    = streamcmd.CodeNotFound
	CodeForbidden   = streamcmd.CodeForbidden
	CodeInternal    = streamcmd.CodeInternal
	CodeUnavailable = streamcmd.CodeUnavailable
)

// Wire types of the command and reply streams.
type (
	CommandType     = streamcmd.CommandType
	Command         = streamcmd.Command
	Reply           = streamcmd.Reply
	CommandError    = streamcmd.Error
	SendMessageData = streamcmd.SendMessageData
	JoinRoomData    = streamcmd.JoinRoomData
	MarkReadData    = streamcmd.MarkReadData
	SendAck         = streamcmd.SendAck
	JoinAck         = streamcmd.JoinAck
	MarkReadAck     = streamcmd.MarkReadAck
)

// ParseCommand reads a Command from a stream entry's fields.
func ParseCommand(values map[string]any) (Command, error) { return streamcmd.ParseCommand(values) }

// ParseReply reads a Reply from a stream entry's fields.
func ParseReply(values map[string]any) (Reply, error) { return streamcmd.ParseReply(values) }
