package httpapi

import (
	"time"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// Request bodies. Shape checks only (presence); the rules
// (what a valid e-mail or password is) belong to the domain, which reports
// each broken one as a field error.
type (
	registerRequest struct {
		Email       string `json:"email" validate:"required"`
		Password    string `json:"password" validate:"required"`
		DisplayName string `json:"displayName" validate:"required"`
	}
	loginRequest struct {
		Email    string `json:"email" validate:"required"`
		Password string `json:"password" validate:"required"`
		// DeviceName names the session's device in the sessions list.
		DeviceName string `json:"deviceName" validate:"max=64"`
	}
	refreshRequest struct {
		RefreshToken string `json:"refreshToken" validate:"required"`
	}
	tokenRequest struct {
		Token string `json:"token" validate:"required"`
	}
	forgotPasswordRequest struct {
		Email string `json:"email" validate:"required"`
	}
	resetPasswordRequest struct {
		Token       string `json:"token" validate:"required"`
		NewPassword string `json:"newPassword" validate:"required"`
	}
	updateProfileRequest struct {
		DisplayName string `json:"displayName" validate:"required"`
	}
	changePasswordRequest struct {
		CurrentPassword string `json:"currentPassword" validate:"required"`
		NewPassword     string `json:"newPassword" validate:"required"`
	}
)

// userResponse is a user as its owner sees it.
type userResponse struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	DisplayName   string `json:"displayName"`
	EmailVerified bool   `json:"emailVerified"`
	IsBot         bool   `json:"isBot"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
}

func toUserResponse(u domain.User) userResponse {
	return userResponse{
		ID: u.ID.String(), Email: u.Email.String(), DisplayName: u.DisplayName.String(),
		EmailVerified: u.EmailVerified(), IsBot: u.IsBot, CreatedAt: timestamp(u.CreatedAt), UpdatedAt: timestamp(u.UpdatedAt),
	}
}

type registerResponse struct {
	User userResponse `json:"user"`
}

// tokenResponse answers refresh; loginResponse adds the user.
type tokenResponse struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"` // seconds
}

type loginResponse struct {
	tokenResponse
	User userResponse `json:"user"`
}

func toTokenResponse(t app.Tokens) tokenResponse {
	return tokenResponse{
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: "Bearer", ExpiresIn: int(t.ExpiresIn / time.Second),
	}
}

type sessionResponse struct {
	ID         string `json:"id"`
	UserAgent  string `json:"userAgent"`
	DeviceName string `json:"deviceName"`
	IP         string `json:"ip"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt"`
	Current    bool   `json:"current"`
}

func toSessionResponses(ss []app.SessionView) []sessionResponse {
	out := make([]sessionResponse, len(ss))
	for i, s := range ss {
		out[i] = sessionResponse{
			ID: s.ID.String(), UserAgent: s.UserAgent, DeviceName: s.DeviceName, IP: s.IP,
			CreatedAt: timestamp(s.CreatedAt), LastUsedAt: timestamp(s.LastUsedAt), Current: s.Current,
		}
	}
	return out
}

// timestamp formats t as the API does everywhere: RFC 3339, UTC,
// milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
