// Package postgres is the key directory's PostgreSQL adapter (tables
// device_keys and one_time_keys, migration 00014). A device's keys belong
// to its session: the schema deletes them when the session is revoked
// (trigger) or deleted (cascade), and every read here also requires the
// session to be live.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/keys/internal/app"
	"github.com/chatforge/chat/modules/keys/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// Store implements app.Store.
type Store struct{ db *gorm.DB }

var _ app.Store = (*Store)(nil)

// New returns the store on db.
func New(db *gorm.DB) *Store { return &Store{db: db} }

// liveSession is true for a session row se that may still be used.
const liveSession = `se.revoked_at IS NULL AND se.expires_at > now()`

// PutDevice implements app.Store. The session row is share-locked first:
// a concurrent revocation (an UPDATE of that row, whose trigger deletes
// the keys) waits for this transaction and then deletes what it wrote, or
// went first and the session is seen revoked here.
func (s *Store) PutDevice(ctx context.Context, d domain.Device, now time.Time) (bool, error) {
	changed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var live bool
		err := database.ScanRow(tx.Raw(`SELECT `+liveSession+` FROM sessions se WHERE se.id = ? AND se.user_id = ? FOR SHARE`,
			d.DeviceID, d.UserID), &live)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !live) {
			return domain.ErrForbidden
		} else if err != nil {
			return err
		}
		var old []string
		if err := tx.Raw(`SELECT identity_key FROM device_keys WHERE session_id = ? FOR UPDATE`, d.DeviceID).
			Scan(&old).Error; err != nil {
			return err
		}
		changed = len(old) == 0 || old[0] != d.IdentityKey
		if changed && len(old) > 0 {
			// A new identity: the old one-time keys belong to the old one.
			if err := tx.Exec(`DELETE FROM one_time_keys WHERE session_id = ?`, d.DeviceID).Error; err != nil {
				return err
			}
		}
		sp := d.SignedPreKey
		return tx.Exec(`INSERT INTO device_keys (session_id, user_id, identity_key, signed_key_id, signed_key, signed_signature, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id) DO UPDATE SET identity_key = EXCLUDED.identity_key, signed_key_id = EXCLUDED.signed_key_id,
				signed_key = EXCLUDED.signed_key, signed_signature = EXCLUDED.signed_signature, updated_at = EXCLUDED.updated_at`,
			d.DeviceID, d.UserID, d.IdentityKey, sp.KeyID, sp.PublicKey, sp.Signature, now).Error
	})
	return changed, err
}

// AddOneTime implements app.Store. The device row lock serializes the
// uploads of one device, so the MaxStored check holds.
func (s *Store) AddOneTime(ctx context.Context, sessionID string, keys []domain.PreKey) (int, error) {
	var n int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var found []string
		if err := tx.Raw(`SELECT dk.session_id::text FROM device_keys dk JOIN sessions se ON se.id = dk.session_id
			WHERE dk.session_id = ? AND `+liveSession+` FOR UPDATE OF dk`, sessionID).Scan(&found).Error; err != nil {
			return err
		}
		if len(found) == 0 {
			return domain.ErrNoDevice
		}
		ids, pubs := make([]int64, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			ids[i], pubs[i] = k.KeyID, k.PublicKey
		}
		if err := tx.Exec(`INSERT INTO one_time_keys (session_id, key_id, public_key)
			SELECT ?, k.id, k.pub FROM unnest(?::bigint[], ?::text[]) AS k(id, pub)
			ON CONFLICT (session_id, key_id) DO NOTHING`, sessionID, int64s(ids), texts(pubs)).Error; err != nil {
			return err
		}
		if err := database.ScanRow(tx.Raw(`SELECT count(*) FROM one_time_keys WHERE session_id = ?`, sessionID), &n); err != nil {
			return err
		}
		if n > domain.MaxStored {
			return domain.ErrFull // rolls the insert back
		}
		return nil
	})
	return n, err
}

// CountOneTime implements app.Store; a device without keys has none.
func (s *Store) CountOneTime(ctx context.Context, sessionID string) (int, error) {
	var n int
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`SELECT count(*) FROM one_time_keys WHERE session_id = ?`, sessionID), &n)
	return n, err
}

// claimSQL takes, in one statement, one one-time key of each live device
// of the users: the lateral subquery locks the device's lowest unlocked key
// (SKIP LOCKED: concurrent claimers each take a different one, and none
// waits for another) and the DELETE removes it. A device whose keys are all
// gone, or all being taken by others, gets NULL.
const claimSQL = `WITH d AS (
		SELECT dk.session_id, dk.user_id, dk.identity_key, dk.signed_key_id, dk.signed_key, dk.signed_signature
		FROM device_keys dk JOIN sessions se ON se.id = dk.session_id
		WHERE dk.user_id = ANY(CAST(@users AS uuid[])) AND dk.session_id <> CAST(@except AS uuid) AND ` + liveSession + `
	), pick AS (
		SELECT o.session_id, o.key_id FROM d CROSS JOIN LATERAL (
			SELECT session_id, key_id FROM one_time_keys WHERE session_id = d.session_id
			ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED
		) o
	), k AS (
		DELETE FROM one_time_keys o USING pick WHERE o.session_id = pick.session_id AND o.key_id = pick.key_id
		RETURNING o.session_id, o.key_id, o.public_key
	)
	SELECT d.user_id::text AS user_id, d.session_id::text AS device_id, d.identity_key, d.signed_key_id, d.signed_key,
		d.signed_signature, k.key_id AS one_time_id, k.public_key AS one_time_key
	FROM d LEFT JOIN k ON k.session_id = d.session_id
	ORDER BY d.user_id, d.session_id`

// Claim implements app.Store.
func (s *Store) Claim(ctx context.Context, userIDs []string, exceptSession string) ([]domain.Claimed, error) {
	var rows []struct {
		UserID          string
		DeviceID        string
		IdentityKey     string
		SignedKeyID     int64
		SignedKey       string
		SignedSignature string
		OneTimeID       *int64
		OneTimeKey      *string
	}
	if err := s.db.WithContext(ctx).Raw(claimSQL, map[string]any{"users": texts(userIDs), "except": exceptSession}).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Claimed, len(rows))
	for i, r := range rows {
		out[i] = domain.Claimed{Device: domain.Device{
			UserID: r.UserID, DeviceID: r.DeviceID, IdentityKey: r.IdentityKey,
			SignedPreKey: domain.SignedPreKey{PreKey: domain.PreKey{KeyID: r.SignedKeyID, PublicKey: r.SignedKey}, Signature: r.SignedSignature},
		}}
		if r.OneTimeID != nil && r.OneTimeKey != nil {
			out[i].OneTimeKey = &domain.PreKey{KeyID: *r.OneTimeID, PublicKey: *r.OneTimeKey}
		}
	}
	return out, nil
}

// UserOfSession returns the user of a session ("" when there is none).
func (s *Store) UserOfSession(ctx context.Context, sessionID string) (string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT user_id::text FROM sessions WHERE id = ?`, sessionID).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}
