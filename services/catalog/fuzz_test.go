package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

// FuzzListCursor feeds the browse cursor decoder what a client may put in
// "after". A refusal is KindInvalid (BAD_USER_INPUT, never INTERNAL); a
// cursor it accepts belongs to the order asked for and names a video, and
// the cursor encoded from its probe decodes to the same position.
func FuzzListCursor(f *testing.F) {
	e := &entry{titleKey: "alien", created: 1700000000}
	e.v.ID, e.v.ReleaseYear = "v-1", 1979
	for order := range 3 {
		for _, desc := range []bool{false, true} {
			f.Add(encodeListCursor(e, order, desc), order, desc)
		}
	}
	for _, raw := range []string{"", "e30", "bnVsbA", "eyJvIjoiMCIsImkiOiIifQ", "!!!", "eyJvIjoiMCIsImkiOiJ2LTEiLCJ5IjoxZTMwfQ"} {
		f.Add(raw, 0, false)
	}
	f.Fuzz(func(t *testing.T, raw string, order int, desc bool) {
		order = ((order % 3) + 3) % 3
		probe, err := decodeListCursor(raw, order, desc)
		switch {
		case err != nil:
			require.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
			return
		case raw == "":
			require.Nil(t, probe)
			return
		}
		require.NotEmpty(t, probe.v.ID)
		again, err := decodeListCursor(encodeListCursor(probe, order, desc), order, desc)
		require.NoError(t, err)
		require.Zero(t, orderCmp[order](probe, again), "the re-encoded cursor moved")
		require.Equal(t, probe.v.ID, again.v.ID)
		_, err = decodeListCursor(raw, (order+1)%3, desc)
		require.Error(t, err, "a cursor of one order is refused by another")
	})
}

// FuzzSearchCursor does the same for search cursors: accepted offsets are
// never negative and encode back to a cursor of the same offset.
func FuzzSearchCursor(f *testing.F) {
	for _, raw := range []string{encodeOffset(20), encodeOffset(0), "", "b2Zmc2V0Oi0x", "b2Zmc2V0Ojk5OTk5OTk5OTk5OTk5OTk5OTk5", "b2Zmc2V0OisxMA", "x"} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := decodeOffset(raw)
		if err != nil {
			require.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
			return
		}
		require.GreaterOrEqual(t, n, 0)
		again, err := decodeOffset(encodeOffset(n))
		require.NoError(t, err)
		require.Equal(t, n, again)
	})
}
