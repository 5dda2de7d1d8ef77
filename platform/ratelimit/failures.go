package ratelimit

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// Failures bounds failed attempts at something guarded by a secret (a
// login) without letting a stranger lock the owner out. Only failures are
// counted, never successes, under two limits:
//
//   - PerClient: failures per (subject, client address), tight: one address
//     guessing one account is refused quickly.
//   - PerSubject: failures per subject from every address, slower; it only
//     refuses addresses that have themselves failed for that subject within
//     its refill time (PerSubject's Burst x Period / Rate). The owner
//     typing the right password from an address that has not failed still
//     gets in while guessers elsewhere have spent the budget.
//
// A distributed guesser thus gets PerSubject's budget plus one failure per
// fresh address (the per-IP request limit bounds those further). Like
// Limiter.Allow, Failures fails open on Redis errors. Safe for concurrent
// use.
type Failures struct {
	l          *Limiter
	perClient  Limit
	perSubject Limit
}

// NewFailures returns a Failures over l; a zero Limit disables its check.
func NewFailures(l *Limiter, perClient, perSubject Limit) *Failures {
	return &Failures{l: l, perClient: perClient, perSubject: perSubject}
}

func (f *Failures) pairKey(subject, client string) string {
	return "fail:pair:" + subject + "|" + client
}

func (f *Failures) markerKey(subject, client string) string {
	return keyPrefix + "failed:" + subject + "|" + client
}

func (f *Failures) subjectKey(subject string) string { return "fail:subj:" + subject }

// Check reports whether client may try subject now, without counting
// anything; when not, retryAfter says when it may.
func (f *Failures) Check(ctx context.Context, subject, client string) (allowed bool, retryAfter time.Duration) {
	if f.perClient != (Limit{}) {
		if ok, retry := f.l.peek(ctx, f.pairKey(subject, client), f.perClient); !ok {
			return false, retry
		}
	}
	if f.perSubject == (Limit{}) {
		return true, 0
	}
	n, err := f.l.rdb.Exists(ctx, f.markerKey(subject, client)).Result()
	if err != nil {
		f.l.logFailure(ctx, f.markerKey(subject, client), err)
		return true, 0
	}
	if n == 0 {
		return true, 0 // this address has not failed lately: the account-wide budget does not apply
	}
	return f.l.peek(ctx, f.subjectKey(subject), f.perSubject)
}

// Fail counts one failure of client on subject.
func (f *Failures) Fail(ctx context.Context, subject, client string) {
	if f.perClient != (Limit{}) {
		_, _, _ = f.l.Allow(ctx, f.pairKey(subject, client), f.perClient)
	}
	if f.perSubject == (Limit{}) {
		return
	}
	_, _, _ = f.l.Allow(ctx, f.subjectKey(subject), f.perSubject)
	refill := time.Duration(f.perSubject.Burst) * f.perSubject.Period / time.Duration(f.perSubject.Rate)
	if err := f.l.rdb.Set(ctx, f.markerKey(subject, client), "1", refill).Err(); err != nil {
		f.l.logFailure(ctx, f.markerKey(subject, client), err)
	}
}

// peek reports whether key has budget for one more event under lim,
// spending nothing (GCRA with cost 0); when not, retryAfter says when it
// will. Fails open.
func (l *Limiter) peek(ctx context.Context, key string, lim Limit) (ok bool, retryAfter time.Duration) {
	res, err := l.gcra.AllowN(ctx, keyPrefix+key, redis_rate.Limit{Rate: lim.Rate, Period: lim.Period, Burst: lim.Burst}, 0)
	if err != nil {
		l.logFailure(ctx, key, err)
		return true, 0
	}
	if res.Remaining >= 1 {
		return true, 0
	}
	// Cost 0 leaves reset = tat - now; one event fits once tat - now is at
	// most (Burst - 1) emission intervals.
	emission := lim.Period / time.Duration(lim.Rate)
	return false, max(res.ResetAfter-time.Duration(lim.Burst-1)*emission, time.Millisecond)
}
