package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// wrap puts expr into a rule's params, on line 3 of the source.
func wrap(expr string) string {
	return "rule \"a\" {\n  output = \"o\"\n  params = { x = " + expr + " }\n}\n"
}

func TestLimitsAccept(t *testing.T) {
	deep := strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200)
	cases := map[string]string{
		"200 parentheses":       wrap(deep),
		"parens in a string":    wrap(`"` + strings.Repeat("(", 5000) + `"`),
		"escaped quote":         wrap(`"\"` + strings.Repeat("(", 5000) + `"`),
		"literal interpolation": wrap(`"$${` + strings.Repeat("(", 5000) + `"`),
		"parens in a comment":   "# " + strings.Repeat("(", 5000) + "\n// " + strings.Repeat("[", 5000) + "\n/* " + strings.Repeat("{", 5000) + " */\n" + wrap("1"),
		"parens in a heredoc": "rule \"a\" {\n  output = \"o\"\n  shell = <<-EOT\n    " + strings.Repeat("(", 5000) +
			"\n    ${output}" + strings.Repeat("{", 5000) + "\n    EOT\n}\n",
		"many items":   wrap("[" + strings.Repeat("-1, ", 20000) + "1]"),
		"many lines":   strings.Repeat("x = 1 + 2 + 3\n", 20000),
		"dashed names": wrap(strings.Repeat("a-", 20000) + "b"),
		"exponents":    wrap(strings.Repeat("1e-", 20000) + "1"),
	}
	for name, src := range cases {
		if d := checkLimits([]byte(src), "Rulefile"); d != nil {
			t.Errorf("%s: unexpected %s", name, diagString(d))
		}
	}
}

func TestLimitsReject(t *testing.T) {
	const col = len("  params = { x = ") + 1
	cases := []struct {
		name, src, summary string
		line, col          int
	}{
		// Rule block, params object, then 255 parentheses fill 256 levels:
		// the 255th parenthesis is the one too many.
		{"parentheses", wrap(strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)), "nested too deeply", 3, col + 254},
		{"brackets", wrap(strings.Repeat("[", 300) + strings.Repeat("]", 300)), "nested too deeply", 3, col + 254},
		// Each "${ opens two levels (string, interpolation): the quote of
		// the 128th is level 257.
		{"interpolations", wrap(strings.Repeat(`"${`, 300)), "nested too deeply", 3, col + 3*127},
		// An open %{if} stays a level; its %{ is a second one.
		{"directives", wrap(`"` + strings.Repeat("%{if true}", 300) + `"`), "nested too deeply", 3, col + 1 + 10*252},
		{"heredoc interpolation", "x = <<EOT\n" + strings.Repeat("${(", 300) + "\nEOT\n", "nested too deeply", 2, 1 + 3*127 + 2},
		{"string after a comment", "# (\n" + wrap(strings.Repeat("(", 300)), "nested too deeply", 4, col + 254},
		// Five operators are open before the expression: the rule's quote
		// and brace at the top, "params =" and its brace, "x =".
		{"unary minus", wrap(strings.Repeat("-", 100000) + "1"), "too long", 3, col + 4096 - 5},
		{"binary chain", wrap(strings.Repeat("1+", 100000) + "1"), "too long", 3, col + 2*(4096-5) + 1},
		{"conditional chain", wrap(strings.Repeat("true?1:", 100000) + "1"), "too long", 3, col + 7*2045 + 6},
		// "[1]" leaves one step; each [*] one more, and its * is a second
		// while it is open.
		{"splat chain", wrap("[1]" + strings.Repeat("[*]", 100000)), "too long", 3, col + 3 + 3*4089 + 1},
	}
	for _, c := range cases {
		d := checkLimits([]byte(c.src), "Rulefile")
		if d == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(d.Summary, c.summary) || d.Subject.Start.Line != c.line || d.Subject.Start.Column != c.col {
			t.Errorf("%s: got %s at %d:%d, want %q at %d:%d", c.name, d.Summary, d.Subject.Start.Line, d.Subject.Start.Column, c.summary, c.line, c.col)
		}
	}
}

// TestParseDeep is the crash the limit prevents: without it this input
// overflows the Go stack inside HCL's parser, a fatal error.
func TestParseDeep(t *testing.T) {
	src := wrap(strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000))
	_, diags := Parse([]byte(src), "Rulefile")
	if len(diags) != 1 || diags[0].Summary != "Expression nested too deeply" {
		t.Fatalf("diags = %v", diags)
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Rulefile")
	big := strings.Repeat("# padding\n", MaxRulefileSize/10+1)
	if err := os.WriteFile(path, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(path, Options{})
	if len(diags) != 1 || diags[0].Summary != "Rulefile too large" || diags[0].Subject.Filename != path {
		t.Fatalf("diags = %v", diags)
	}
	if !strings.Contains(diags[0].Detail, "more than 16 MiB") {
		t.Errorf("detail = %q", diags[0].Detail)
	}
	// Parse applies the same limit to a source in memory.
	if _, diags := Parse([]byte(big), "Rulefile"); len(diags) != 1 || diags[0].Summary != "Rulefile too large" {
		t.Fatalf("Parse: diags = %v", diags)
	}
}

// A Rulefile that is not UTF-8 is one error at the first bad byte, also
// where HCL itself would read the bytes as part of a name and say nothing.
func TestNotUTF8(t *testing.T) {
	for _, src := range []string{"A=\xe70\"", "rule \"a\" {\n  output = [\"x\"]\n  shell = \"echo \xff\"\n}\n", "x = \xe7(\n"} {
		_, diags := Parse([]byte(src), "Rulefile")
		if len(diags) != 1 || diags[0].Summary != "Invalid character encoding" {
			t.Errorf("%q: want one encoding error, got %v", src, diags)
			continue
		}
		want := strings.IndexFunc(src, func(r rune) bool { return r == utf8.RuneError })
		if got := diags[0].Subject.Start.Byte; got != want {
			t.Errorf("%q: error at byte %d, want %d", src, got, want)
		}
	}
}
