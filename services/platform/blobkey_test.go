package platform_test

import (
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
)

func TestCheckBlobKey(t *testing.T) {
	valid := []string{"a", "media/v-1/720p/seg-0001.ts", "uploads/u1/part.0", "a..b/c", ".hidden/x"}
	invalid := []string{"", ".", "..", "/etc/passwd", "../x", "a/../../x", "a/../b", "a//b", "a/", "./a", "a/./b", `a\b`, "a\x00b"}
	for _, key := range valid {
		assert.NoError(t, platform.CheckBlobKey(key), key)
	}
	for _, key := range invalid {
		assert.Equal(t, platform.KindInvalid, platform.KindOf(platform.CheckBlobKey(key)), "%q", key)
	}
}
