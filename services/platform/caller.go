package platform

// Role is what a caller may do. Roles are issued by the auth service.
type Role string

// The roles.
const (
	RoleViewer Role = "VIEWER"
	RoleAdmin  Role = "ADMIN"
)

// Caller is who makes a request. It travels as a field of every request that
// needs it (never in a context), so it crosses the wire like any argument.
// The zero Caller is anonymous.
type Caller struct {
	UserID string `json:"userId,omitempty"`
	Role   Role   `json:"role,omitempty"`
}

// Anonymous reports whether nobody is signed in.
func (c Caller) Anonymous() bool { return c.UserID == "" }

// IsAdmin reports whether the caller holds the admin role.
func (c Caller) IsAdmin() bool { return c.Role == RoleAdmin }

// RequireUser returns KindUnauthenticated for an anonymous caller.
func (c Caller) RequireUser() error {
	if c.Anonymous() {
		return E(KindUnauthenticated, "sign in required", nil)
	}
	return nil
}

// RequireAdmin returns KindUnauthenticated for an anonymous caller and
// KindForbidden for a signed-in caller who is not an admin.
func (c Caller) RequireAdmin() error {
	if err := c.RequireUser(); err != nil {
		return err
	}
	if !c.IsAdmin() {
		return E(KindForbidden, "admin role required", nil)
	}
	return nil
}
