package platformtest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// SeedJSON marshals v, an event payload, for a fuzz seed, without its zero
// fields (time.Time's zero included): the fuzzer minimizes every input that
// finds new code, which takes long on the long inputs of whole structs.
func SeedJSON(t testing.TB, v any) []byte {
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var tree any
	require.NoError(t, json.Unmarshal(data, &tree))
	data, err = json.Marshal(dropZero(tree))
	require.NoError(t, err)
	return data
}

// dropZero removes the zero values from the objects in a decoded JSON tree.
func dropZero(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			x = dropZero(x)
			if isZero(x) {
				delete(v, k)
				continue
			}
			v[k] = x
		}
	case []any:
		for i := range v {
			v[i] = dropZero(v[i])
		}
	}
	return v
}

func isZero(x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case string:
		return x == "" || x == "0001-01-01T00:00:00Z"
	case float64:
		return x == 0
	case bool:
		return !x
	}
	return false
}
