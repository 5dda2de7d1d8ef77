package messagingtest

import (
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

func contractPublicRooms(t *testing.T, f *fixture) {
	u := f.users(t, 2)
	owner, other := u[0], u[1]
	room := f.room(t, owner, domain.KindPublic)
	f.send(t, owner, room, "welcome")

	// Anyone reads a public room; posting and marking read need joining.
	if _, err := f.app.History(f.ctx, other, room, domain.HistoryQuery{}); err != nil {
		t.Errorf("non-member reads public history: %v", err)
	}
	_, _, err := f.app.SendMessage(f.ctx, other, app.SendInput{RoomID: room, Content: "hi"})
	wantErr(t, "non-member posts", err, domain.ErrForbidden)
	_, err = f.app.MarkRead(f.ctx, other, room, 1)
	wantErr(t, "non-member marks read", err, domain.ErrForbidden)
	_, err = f.app.AddMember(f.ctx, other, room, owner)
	wantErr(t, "non-member manages", err, domain.ErrForbidden)

	c, err := f.app.Join(f.ctx, other, room)
	if err != nil || c.Noop || c.Action != domain.ActionJoined {
		t.Fatalf("join = %+v, %v", c, err)
	}
	if c, err = f.app.Join(f.ctx, other, room); err != nil || !c.Noop {
		t.Errorf("join again = %+v, %v; want no-op", c, err)
	}
	f.send(t, other, room, "thanks")
	_, err = f.app.AddMember(f.ctx, other, room, owner)
	wantErr(t, "member (not owner) manages", err, domain.ErrForbidden)
	v, members, err := f.app.GetRoom(f.ctx, other, room)
	if err != nil || v.Room.MemberCount != 2 || len(members) != 2 || v.Role != domain.RoleMember {
		t.Errorf("room = %+v members=%v err=%v", v, members, err)
	}

	if c, err = f.app.Leave(f.ctx, other, room); err != nil || c.Noop {
		t.Errorf("leave = %+v, %v", c, err)
	}
	if c, err = f.app.Leave(f.ctx, other, room); err != nil || !c.Noop {
		t.Errorf("leave again = %+v, %v; want no-op", c, err)
	}
	_, err = f.app.Leave(f.ctx, owner, room)
	wantErr(t, "owner leaves", err, domain.ErrConflict)
}

func contractPrivateRooms(t *testing.T, f *fixture) {
	u := f.users(t, 4)
	owner, member, outsider, late := u[0], u[1], u[2], u[3]
	room := f.room(t, owner, domain.KindPrivate, member, member, owner) // duplicates collapse
	f.send(t, member, room, "psst")

	// A non-member cannot tell the room exists.
	_, err := f.app.History(f.ctx, outsider, room, domain.HistoryQuery{})
	wantErr(t, "outsider history", err, domain.ErrNotFound)
	_, _, err = f.app.SendMessage(f.ctx, outsider, app.SendInput{RoomID: room, Content: "x"})
	wantErr(t, "outsider posts", err, domain.ErrNotFound)
	_, _, err = f.app.GetRoom(f.ctx, outsider, room)
	wantErr(t, "outsider gets room", err, domain.ErrNotFound)
	_, _, err = f.app.Members(f.ctx, outsider, room, domain.ListQuery{})
	wantErr(t, "outsider lists members", err, domain.ErrNotFound)
	_, err = f.app.MarkRead(f.ctx, outsider, room, 1)
	wantErr(t, "outsider marks read", err, domain.ErrNotFound)
	wantErr(t, "outsider can read", f.app.CanRead(f.ctx, outsider, room), domain.ErrNotFound)
	_, err = f.app.Join(f.ctx, outsider, room)
	wantErr(t, "outsider joins", err, domain.ErrNotFound)
	_, err = f.app.AddMember(f.ctx, outsider, room, outsider)
	wantErr(t, "outsider adds self", err, domain.ErrNotFound)
	_, _, err = f.app.Search(f.ctx, outsider, domain.SearchQuery{Text: "psst", RoomID: room})
	wantErr(t, "outsider searches room", err, domain.ErrNotFound)

	// Only the owner manages members.
	_, err = f.app.AddMember(f.ctx, member, room, outsider)
	wantErr(t, "member adds", err, domain.ErrForbidden)
	_, err = f.app.RemoveMember(f.ctx, member, room, owner)
	wantErr(t, "member removes", err, domain.ErrForbidden)
	_, err = f.app.Join(f.ctx, member, room)
	wantErr(t, "member joins private", err, domain.ErrConflict)
	if _, err := f.app.AddMember(f.ctx, owner, room, late); err != nil {
		t.Fatalf("owner adds: %v", err)
	}
	if err := f.app.CanRead(f.ctx, late, room); err != nil {
		t.Errorf("added member reads: %v", err)
	}
	f.send(t, late, room, "hello")
	if _, err := f.app.RemoveMember(f.ctx, owner, room, late); err != nil {
		t.Fatalf("owner removes: %v", err)
	}
	wantErr(t, "removed member reads", f.app.CanRead(f.ctx, late, room), domain.ErrNotFound)
	_, err = f.app.RemoveMember(f.ctx, owner, room, owner)
	wantErr(t, "owner removes self", err, domain.ErrConflict)
	_, err = f.app.AddMember(f.ctx, owner, room, "0190a000-0000-7000-8000-000000000000")
	wantErr(t, "add unknown user", err, domain.ErrUserNotFound)
	_, _, err = f.app.CreateRoom(f.ctx, owner, "x", domain.KindPrivate, []string{"0190a000-0000-7000-8000-000000000000"})
	wantErr(t, "create with unknown user", err, domain.ErrUserNotFound)

	// A member may leave a private room; then it is gone for them.
	if _, err := f.app.Leave(f.ctx, member, room); err != nil {
		t.Fatalf("member leaves: %v", err)
	}
	wantErr(t, "left member reads", f.app.CanRead(f.ctx, member, room), domain.ErrNotFound)
	v, _, err := f.app.GetRoom(f.ctx, owner, room)
	if err != nil || v.Room.MemberCount != 1 {
		t.Errorf("room after departures = %+v, %v", v.Room, err)
	}
}

func contractDirectRooms(t *testing.T, f *fixture) {
	u := f.users(t, 3)
	a, b, c := u[0], u[1], u[2]
	v, created, err := f.app.OpenDirect(f.ctx, a, b)
	if err != nil || !created || v.Room.Kind != domain.KindDirect || v.Room.Peer(a) != b {
		t.Fatalf("open direct = %+v created=%v err=%v", v, created, err)
	}
	f.send(t, b, v.Room.ID, "hey a")
	again, created, err := f.app.OpenDirect(f.ctx, b, a)
	if err != nil || created || again.Room.ID != v.Room.ID || again.LastMessage == nil {
		t.Errorf("open again from b = %+v created=%v err=%v", again, created, err)
	}
	wantErr(t, "third user reads", f.app.CanRead(f.ctx, c, v.Room.ID), domain.ErrNotFound)
	_, _, err = f.app.OpenDirect(f.ctx, a, a)
	wantErr(t, "direct with self", err, domain.ErrInvalid)
	_, _, err = f.app.OpenDirect(f.ctx, a, "0190a000-0000-7000-8000-000000000000")
	wantErr(t, "direct with unknown user", err, domain.ErrUserNotFound)
	_, err = f.app.Leave(f.ctx, a, v.Room.ID)
	wantErr(t, "leave direct", err, domain.ErrConflict)
	_, err = f.app.AddMember(f.ctx, a, v.Room.ID, c)
	wantErr(t, "add to direct", err, domain.ErrConflict)
}

func contractGlobalRoom(t *testing.T, f *fixture) {
	u := f.users(t, 1)[0]
	if err := f.app.CanRead(f.ctx, u, domain.GlobalRoomID); err != nil {
		t.Errorf("global readable: %v", err)
	}
	_, err := f.app.Join(f.ctx, u, domain.GlobalRoomID)
	wantErr(t, "join global", err, domain.ErrConflict)
	_, err = f.app.Leave(f.ctx, u, domain.GlobalRoomID)
	wantErr(t, "leave global", err, domain.ErrConflict)
	_, err = f.app.AddMember(f.ctx, u, domain.GlobalRoomID, u)
	wantErr(t, "manage global", err, domain.ErrConflict)
	v, members, err := f.app.GetRoom(f.ctx, u, domain.GlobalRoomID)
	if err != nil || v.Room.Kind != domain.KindGlobal || len(members) != 0 {
		t.Errorf("global room = %+v members=%v err=%v", v, members, err)
	}
}

func contractReceipts(t *testing.T, f *fixture) {
	u := f.users(t, 3)
	a, b, c := u[0], u[1], u[2]
	room := f.room(t, a, domain.KindPrivate, b)
	for range 3 {
		f.send(t, a, room, "news")
	}
	unread := func(user string) int64 {
		v, _, err := f.app.GetRoom(f.ctx, user, room)
		if err != nil {
			t.Fatal(err)
		}
		return v.Unread()
	}
	if unread(a) != 0 || unread(b) != 3 {
		t.Errorf("unread a=%d b=%d, want 0 and 3 (own messages count as read)", unread(a), unread(b))
	}
	for _, step := range []struct{ mark, want int64 }{{2, 2}, {1, 2}, {99, 3}, {0, 3}} {
		got, err := f.app.MarkRead(f.ctx, b, room, step.mark)
		if err != nil || got != step.want {
			t.Errorf("mark read %d = %d, %v; want %d", step.mark, got, err, step.want)
		}
	}
	if unread(b) != 0 {
		t.Errorf("unread after reading all = %d", unread(b))
	}
	// A member added later starts with nothing unread.
	if _, err := f.app.AddMember(f.ctx, a, room, c); err != nil {
		t.Fatal(err)
	}
	if unread(c) != 0 {
		t.Errorf("late member unread = %d, want 0", unread(c))
	}
	f.send(t, b, room, "more")
	if unread(a) != 1 || unread(c) != 1 || unread(b) != 0 {
		t.Errorf("after b sends: a=%d b=%d c=%d", unread(a), unread(b), unread(c))
	}
	// The global room has receipts too.
	f.send(t, a, "", "g1")
	f.send(t, a, "", "g2")
	if got, err := f.app.MarkRead(f.ctx, b, domain.GlobalRoomID, 1); err != nil || got != 1 {
		t.Errorf("mark global = %d, %v", got, err)
	}
	rooms, _, _ := f.app.ListRooms(f.ctx, b, domain.ListQuery{})
	if len(rooms) == 0 || rooms[0].Room.ID != domain.GlobalRoomID || rooms[0].Unread() != 1 {
		t.Errorf("b's rooms = %+v", rooms)
	}
}

func contractListRooms(t *testing.T, f *fixture) {
	u := f.users(t, 2)
	a, b := u[0], u[1]
	r1 := f.room(t, a, domain.KindPublic)
	r2 := f.room(t, b, domain.KindPrivate, a)
	r3 := f.room(t, b, domain.KindPrivate) // a is not in it
	last := f.send(t, b, r2, "latest")
	var got []domain.RoomView
	q := domain.ListQuery{Limit: 2}
	for i := 0; ; i++ {
		page, next, err := f.app.ListRooms(f.ctx, a, q)
		if err != nil || i > 3 {
			t.Fatalf("list page %d: %v", i, err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		q.After = next
	}
	ids := map[string]domain.RoomView{}
	for _, v := range got {
		ids[v.Room.ID] = v
	}
	if len(got) != 3 || got[0].Room.ID != domain.GlobalRoomID || len(ids) != 3 || ids[r3].Room.ID != "" {
		t.Fatalf("a's rooms = %+v, want global, %s, %s", got, r1, r2)
	}
	if v := ids[r2]; v.LastMessage == nil || v.LastMessage.ID != last.ID || v.Unread() != 1 || v.Role != domain.RoleMember {
		t.Errorf("r2 view = %+v", v)
	}
	pub, _, err := f.app.PublicRooms(f.ctx, b, "PUBLIC", domain.ListQuery{})
	if err != nil || len(pub) != 1 || pub[0].Room.ID != r1 || pub[0].Role != domain.RoleNone {
		t.Errorf("public rooms = %+v, %v", pub, err)
	}
	if pub, _, _ = f.app.PublicRooms(f.ctx, b, "nothing%", domain.ListQuery{}); len(pub) != 0 {
		t.Errorf("filter matched %+v", pub)
	}
}
