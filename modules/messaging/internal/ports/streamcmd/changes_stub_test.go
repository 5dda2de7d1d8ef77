package streamcmd

import (
	"context"
	"encoding/json"
)

// noChanges is the edit-message/delete-message half of a test Service that
// does not exercise them.
type noChanges struct{}

func (noChanges) EditMessage(context.Context, string, EditMessageData) (json.RawMessage, error) {
	return nil, &Error{Code: CodeNotFound, Message: "message not found"}
}

func (noChanges) DeleteMessage(context.Context, string, DeleteMessageData) (json.RawMessage, error) {
	return nil, &Error{Code: CodeNotFound, Message: "message not found"}
}

func (noChanges) React(context.Context, string, ReactData) (json.RawMessage, error) {
	return nil, &Error{Code: CodeNotFound, Message: "message not found"}
}
