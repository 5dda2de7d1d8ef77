package messaging

import "github.com/chatforge/chat/modules/messaging/wire"

// The gateway <-> api command link (see docs: gateway commands). The gateway
// appends a Command to CommandStream; api instances read it through the
// consumer group CommandGroup (RunCommands), execute it and append a
// Reply to the gateway's own reply stream (ReplyStreamPrefix + gateway id).
//
// The definitions live in package wire, which the gateway imports without
// this package's storage side; these aliases keep the names here too.

// Stream names and limits.
const (
	CommandStream       = wire.CommandStream
	CommandGroup        = wire.CommandGroup
	CommandStreamMaxLen = wire.CommandStreamMaxLen
	ReplyStreamPrefix   = wire.ReplyStreamPrefix
	ReplyStreamMaxLen   = wire.ReplyStreamMaxLen
	ReplyStreamTTL      = wire.ReplyStreamTTL
)

// Command types (equal to the socket event names).
const (
	CmdSendMessage   = wire.CmdSendMessage
	CmdJoinRoom      = wire.CmdJoinRoom
	CmdMarkRead      = wire.CmdMarkRead
	CmdEditMessage   = wire.CmdEditMessage
	CmdDeleteMessage = wire.CmdDeleteMessage
	CmdReact         = wire.CmdReact
)

// Reply error codes.
const (
	CodeBadRequest  = wire.CodeBadRequest
	CodeNotFound    = wire.CodeNotFound
	CodeForbidden   = wire.CodeForbidden
	CodeInternal    = wire.CodeInternal
	CodeUnavailable = wire.CodeUnavailable
)

// Wire types of the command and reply streams.
type (
	CommandType       = wire.CommandType
	Command           = wire.Command
	Reply             = wire.Reply
	CommandError      = wire.Error
	SendMessageData   = wire.SendMessageData
	JoinRoomData      = wire.JoinRoomData
	MarkReadData      = wire.MarkReadData
	EditMessageData   = wire.EditMessageData
	DeleteMessageData = wire.DeleteMessageData
	ReactData         = wire.ReactData
	SendAck           = wire.SendAck
	JoinAck           = wire.JoinAck
	MarkReadAck       = wire.MarkReadAck
)

// ParseCommand reads a Command from a stream entry's fields.
func ParseCommand(values map[string]any) (Command, error) { return wire.ParseCommand(values) }

// ParseReply reads a Reply from a stream entry's fields.
func ParseReply(values map[string]any) (Reply, error) { return wire.ParseReply(values) }
