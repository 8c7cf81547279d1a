package catalog_test

import (
	"testing"

	"github.com/dflix/dflix/services/catalog"
)

// runSuite runs every behavioural test against the APIs newAPI makes: the
// same assertions hold for the service in process and over the wire, so
// the wire format (results, error kinds and messages) cannot drift.
func runSuite(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	groups := []struct {
		name string
		run  func(t *testing.T, newAPI func(t *testing.T) catalog.API)
	}{
		{"Taxonomy", testTaxonomy},
		{"Validation", testValidation},
		{"AdminOnly", testAdminOnly},
		{"Videos", testVideos},
		{"Visibility", testVisibility},
		{"Browse", testBrowse},
		{"Search", testSearch},
		{"ByName", testByName},
		{"Tags", testTags},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newAPI) })
	}
}

func TestServiceDirect(t *testing.T) { runSuite(t, newDirect) }

func TestServiceOverWire(t *testing.T) { runSuite(t, newWire) }
