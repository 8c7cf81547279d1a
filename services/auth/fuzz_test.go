package auth

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodePHC feeds the password-hash decoder arbitrary stored strings (a
// corrupted or hand-edited record). What it accepts has parameters within
// the bounds that keep one verification from allocating gigabytes, a salt
// and key of the lengths it reports, and encodes to a canonical string
// that decodes to the same parameters, salt and key.
func FuzzDecodePHC(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=1,p=256$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=+64,t=01,p=1 $c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw",
		"$argon2id$v=19$m=64,t=1,p=1$$", "$$$$$", "", "$2a$10$abcdefghijklmnopqrstuv",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := decodePHC(encoded)
		if err != nil {
			return
		}
		require.NoError(t, p.validate())
		require.LessOrEqual(t, p.MemoryKiB, uint32(maxMemoryKiB))
		require.Len(t, salt, int(p.SaltLen))
		require.Len(t, key, int(p.KeyLen))
		p2, salt2, key2, err := decodePHC(encodePHC(p, salt, key))
		require.NoError(t, err)
		require.Equal(t, p, p2)
		require.Equal(t, salt, salt2)
		require.Equal(t, key, key2)
	})
}
