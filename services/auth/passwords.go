package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters of new password hashes.
// Stored hashes carry their own parameters (PHC string), so changing these
// never locks anybody out: a hash made with other parameters still verifies
// and is upgraded at the next successful login.
type Argon2Params struct {
	MemoryKiB   uint32 // m, memory in KiB
	Iterations  uint32 // t, passes over the memory
	Parallelism uint8  // p, lanes
	SaltLen     uint32 // bytes of random salt
	KeyLen      uint32 // bytes of derived key
}

// DefaultArgon2Params follow the OWASP password storage recommendation for
// argon2id: 19 MiB of memory, 2 iterations, 1 lane.
var DefaultArgon2Params = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Bounds for parameters read back from a stored hash, so a corrupted record
// cannot make one verification allocate gigabytes.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxIterations = 64
	maxKeyLen     = 128
	maxSaltLen    = 64
)

// withDefaults fills each zero field from DefaultArgon2Params.
func (p Argon2Params) withDefaults() Argon2Params {
	d := DefaultArgon2Params
	return Argon2Params{
		MemoryKiB:   cmp.Or(p.MemoryKiB, d.MemoryKiB),
		Iterations:  cmp.Or(p.Iterations, d.Iterations),
		Parallelism: cmp.Or(p.Parallelism, d.Parallelism),
		SaltLen:     cmp.Or(p.SaltLen, d.SaltLen),
		KeyLen:      cmp.Or(p.KeyLen, d.KeyLen),
	}
}

func (p Argon2Params) validate() error {
	switch {
	case p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("argon2 memory %d KiB out of range", p.MemoryKiB)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("argon2 iterations %d out of range", p.Iterations)
	case p.Parallelism < 1:
		return errors.New("argon2 parallelism must be at least 1")
	case p.SaltLen < 8 || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2 salt length %d out of range", p.SaltLen)
	case p.KeyLen < 16 || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2 key length %d out of range", p.KeyLen)
	}
	return nil
}

// hasher makes and checks argon2id hashes. Each hash holds MemoryKiB of
// memory while it runs, so a semaphore bounds how many run at once.
type hasher struct {
	params Argon2Params
	slots  chan struct{}
	dummy  string // a hash of a random password, compared against for unknown emails
	// derivations counts argon2 key derivations, so tests can show that an
	// unknown email costs the same work as a known one without timing.
	derivations atomic.Int64
}

func newHasher(p Argon2Params, concurrency int) (*hasher, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &hasher{params: p, slots: make(chan struct{}, concurrency)}
	dummy, err := h.hash(context.Background(), rand.Text())
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

// hash returns the PHC string
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<key>
// with salt and key in unpadded standard base64.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	h.derivations.Add(1)
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

// verify reports whether password matches the encoded hash, comparing in
// constant time, and whether the hash should be remade with the current
// parameters.
func (h *hasher) verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	p, salt, key, err := decodePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	h.derivations.Add(1)
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	current := h.params
	rehash = p.MemoryKiB != current.MemoryKiB || p.Iterations != current.Iterations ||
		p.Parallelism != current.Parallelism || uint32(len(key)) != current.KeyLen || uint32(len(salt)) != current.SaltLen
	return ok, rehash, nil
}

// burn spends the time of one verification, so that a login for an unknown
// email takes as long as one with a wrong password.
func (h *hasher) burn(ctx context.Context, password string) {
	_, _, _ = h.verify(ctx, h.dummy, password)
}

var b64 = base64.RawStdEncoding

func encodePHC(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decodePHC(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password hash: not an argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: key: %w", err)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return p, nil, nil, fmt.Errorf("password hash: %w", err)
	}
	return p, salt, key, nil
}
