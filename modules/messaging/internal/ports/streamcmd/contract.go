package streamcmd

import "github.com/chatforge/chat/modules/messaging/wire"

// The wire contract of the command and reply streams lives in package wire;
// these short names keep the consumer's code readable.
const (
	CommandStream       = wire.CommandStream
	CommandGroup        = wire.CommandGroup
	CommandStreamMaxLen = wire.CommandStreamMaxLen
	ReplyStreamPrefix   = wire.ReplyStreamPrefix
	ReplyStreamMaxLen   = wire.ReplyStreamMaxLen
	ReplyStreamTTL      = wire.ReplyStreamTTL

	CmdSendMessage   = wire.CmdSendMessage
	CmdJoinRoom      = wire.CmdJoinRoom
	CmdMarkRead      = wire.CmdMarkRead
	CmdEditMessage   = wire.CmdEditMessage
	CmdDeleteMessage = wire.CmdDeleteMessage
	CmdReact         = wire.CmdReact
	CmdCallInvite    = wire.CmdCallInvite
	CmdCallAnswer    = wire.CmdCallAnswer
	CmdCallICE       = wire.CmdCallICE
	CmdCallHangup    = wire.CmdCallHangup

	CodeBadRequest  = wire.CodeBadRequest
	CodeNotFound    = wire.CodeNotFound
	CodeForbidden   = wire.CodeForbidden
	CodeInternal    = wire.CodeInternal
	CodeUnavailable = wire.CodeUnavailable
)

type (
	CommandType       = wire.CommandType
	Command           = wire.Command
	Reply             = wire.Reply
	Error             = wire.Error
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

// ParseCommand reads a command from a stream entry's fields.
func ParseCommand(values map[string]any) (Command, error) { return wire.ParseCommand(values) }

// ParseReply reads a reply from a stream entry's fields.
func ParseReply(values map[string]any) (Reply, error) { return wire.ParseReply(values) }
