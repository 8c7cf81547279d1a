package web

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAssetsHasIndex(t *testing.T) {
	b, err := fs.ReadFile(Assets(), "index.html")
	require.NoError(t, err, "web/dist/index.html: run `make web`")
	require.Contains(t, string(b), "<html")
}
