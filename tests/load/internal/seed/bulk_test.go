package seed

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/testenv"
)

func TestInsertAgainstTheSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testenv.Postgres(t, migrations.FS)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	l := Layout{Users: 250, RoomSize: 10, BigRoomMembers: 100, HistoryRooms: 3, MessagesPerRoom: 20}
	c, err := Insert(t.Context(), conn, l, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Users != 250 || c.Sessions != 250 || c.Rooms != 26 || c.Memberships != 350 || c.Messages != 60 || c.Reactions != 45 {
		t.Errorf("counts = %+v", c)
	}
	// Edits and reactions: messages.reactions equals the reaction rows.
	var edited, reacted, mismatched int
	if err := conn.QueryRow(t.Context(), `SELECT
			count(*) FILTER (WHERE edited_at IS NOT NULL),
			count(*) FILTER (WHERE reactions IS NOT NULL),
			count(*) FILTER (WHERE COALESCE(reactions, '[]') <> COALESCE((
				SELECT jsonb_agg(jsonb_build_object('emoji', emoji, 'count', n) ORDER BY first)
				FROM (SELECT emoji, count(*) AS n, min(created_at) AS first FROM reactions WHERE message_id = m.id GROUP BY emoji) x), '[]'))
		FROM messages m`).Scan(&edited, &reacted, &mismatched); err != nil {
		t.Fatal(err)
	}
	if edited != 18 || reacted != 15 || mismatched != 0 {
		t.Errorf("%d edited, %d reacted, %d with counts unlike their rows; want 18, 15, 0", edited, reacted, mismatched)
	}
	var lastSeq int64
	var members int
	if err := conn.QueryRow(t.Context(), `SELECT last_seq, member_count FROM rooms WHERE id = $1`, GroupRoomID(2)).Scan(&lastSeq, &members); err != nil {
		t.Fatal(err)
	}
	if lastSeq != 20 || members != 10 {
		t.Errorf("room 2: last_seq %d, member_count %d", lastSeq, members)
	}
	if _, err := Insert(t.Context(), conn, l, time.Now()); !errors.Is(err, ErrSeeded) {
		t.Errorf("second Insert = %v, want ErrSeeded", err)
	}
}
