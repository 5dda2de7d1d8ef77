package chaos

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// verify compares the acks with PostgreSQL and each receiver's stream with
// the stored messages, prints the summary and fails on any loss,
// duplicate, reorder or gap.
func verify(t *testing.T, in *injector, ss []*sender, rs []*receiver, stored []storedRow) {
	t.Helper()
	byCmid := map[string][]storedRow{}
	for i, r := range stored {
		if r.seq != int64(i+1) {
			t.Errorf("stored seqs are not 1..%d: position %d has seq %d", len(stored), i+1, r.seq)
		}
		byCmid[r.cmid] = append(byCmid[r.cmid], r)
	}
	var sent, acked, lost, dup, rejected int
	retries := map[string]int{}
	for _, s := range ss {
		s.mu.Lock()
		sent += s.sent
		acked += len(s.acked)
		rejected += len(s.rejected)
		for _, r := range s.rejected {
			t.Errorf("sender %s: answer no retry can fix: %s", s.name, r)
		}
		for k, n := range s.retries {
			retries[k] += n
		}
		for cmid, a := range s.acked {
			rows := byCmid[cmid]
			switch {
			case len(rows) == 0:
				lost++
				t.Errorf("acked message %s (seq %d, id %s) is not stored", cmid, a.Seq, a.ID)
			case len(rows) > 1:
				dup++
				t.Errorf("acked message %s stored %d times: %+v", cmid, len(rows), rows)
			case rows[0].id != a.ID || rows[0].seq != a.Seq:
				t.Errorf("acked message %s as id %s seq %d, stored as id %s seq %d", cmid, a.ID, a.Seq, rows[0].id, rows[0].seq)
			}
		}
		s.mu.Unlock()
	}
	for cmid, rows := range byCmid {
		if len(rows) > 1 {
			if _, counted := findAck(ss, cmid); !counted {
				dup++
				t.Errorf("message %s (not acked) stored %d times", cmid, len(rows))
			}
		}
	}
	report(t, "%s", in.summary())
	report(t, "senders: %d messages acked, %d stored (%d send frames, retries %s), %d lost, %d duplicated, %d refused",
		acked, len(stored), sent, counts(retries), lost, dup, rejected)
	for _, r := range rs {
		o := r.outcome(int64(len(stored)))
		r.mu.Lock()
		report(t, "receiver %s: %d messages in %d joins (%d own drops, %d acks recovered:false, %d messages over REST, join errors %s): %d lost, %d duplicated, %d reordered, %d gaps",
			r.name, len(r.got), r.joins, r.drops, r.unrecov, r.restPaged, counts(r.joinErrors), o.lost, o.duplicated, o.reordered, o.gaps)
		r.mu.Unlock()
		if o != (outcome{}) {
			t.Errorf("receiver %s: %+v", r.name, o)
		}
	}
	if acked == 0 {
		t.Error("no message was acked: the suite tested nothing")
	}
}

func findAck(ss []*sender, cmid string) (ack, bool) {
	for _, s := range ss {
		if a, ok := s.acked[cmid]; ok {
			return a, true
		}
	}
	return ack{}, false
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var l []string
	for k, n := range m {
		l = append(l, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(l)
	return strings.Join(l, ", ")
}
