package kubernetes

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// servedRoutes returns, per target, the mux patterns its health routes are
// registered under, read from the code that registers them: bff.New serves
// the BFF's own /healthz and /readyz (--target=bff mounts the whole
// bff.Server), and every other target gets cmd/dflix's mountHealth, which
// runDapr calls. Starting each target would need its sidecar and stores.
func servedRoutes(t *testing.T, root string) map[string][]string {
	t.Helper()
	bff := patternsIn(t, filepath.Join(root, "bff", "server.go"), "New")
	health := patternsIn(t, filepath.Join(root, "cmd", "dflix", "dapr.go"), "mountHealth")
	require.Contains(t, callsIn(t, filepath.Join(root, "cmd", "dflix", "dapr.go"), "runDapr"), "mountHealth",
		"runDapr mounts the health routes")
	return map[string][]string{
		"bff": bff, "auth": health, "catalog": health, "subscription": health, "encoder": health,
	}
}

// patternsIn returns the string literals passed first to Handle or
// HandleFunc calls in the function fn of file.
func patternsIn(t *testing.T, file, fn string) []string {
	t.Helper()
	var out []string
	ast.Inspect(funcBody(t, file, fn), func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			out = append(out, s)
		}
		return true
	})
	require.NotEmpty(t, out, "%s registers no routes in %s", filepath.Base(file), fn)
	return out
}

// callsIn returns the names of the plain functions that fn calls.
func callsIn(t *testing.T, file, fn string) []string {
	t.Helper()
	var out []string
	ast.Inspect(funcBody(t, file, fn), func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok {
				out = append(out, id.Name)
			}
		}
		return true
	})
	return out
}

// funcBody is the body of the top-level function fn (not a method) in file.
func funcBody(t *testing.T, file, fn string) *ast.BlockStmt {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == fn {
			return fd.Body
		}
	}
	require.Failf(t, "function not found", "%s in %s", fn, file)
	return nil
}
