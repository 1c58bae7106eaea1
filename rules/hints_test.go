package rules

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// The golden cases in testdata/rules/invalid show each hint; these cover
// the cases around them: where no hint may appear, and the variants.
func TestHints(t *testing.T) {
	cases := []struct {
		name, src string
		summary   string // "" means: no error at all
		detail    string
	}{
		{"keyword argument to another function", `x = join(sep=",", ["a"])` + "\n",
			"Keyword argument", "Pass the arguments of join in order"},
		{"expand with a positional list", `x = expand("a/{s}", [1], s=2)` + "\n",
			"Keyword argument", "Write expand(p, { sample = ... })"},
		{"comment after an unquoted command", "rule \"a\" {\n  output = \"o\"\n  shell = cat a b  # copy\n}\n",
			"Unquoted shell command", `write shell = "cat a b", or`},
		{"quotes inside an unquoted command", "rule \"a\" {\n  output = \"o\"\n  shell = echo \"hi\" x\n}\n",
			"Unquoted shell command", `write shell = "echo \"hi\" x"`},
		{"Snakemake header inside a heredoc", "rule \"a\" {\n  output = \"o\"\n  shell = <<EOT\nrule all:\nEOT\n  x = = 1\n}\n",
			"Invalid expression", ""},
		{"try guards a missing key", "rule \"a\" {\n  output = \"o\"\n  message = try(config.note, \"x\")\n  shell = \"true\"\n}\n",
			"", ""},
		{"computed params keys", "rule \"a\" {\n  output = \"o\"\n  params = { (rule) = 1 }\n  shell = \"echo ${params.x}\"\n}\n",
			"", ""},
		{"known variables are no unquoted paths", "rule \"a\" {\n  output = \"o/{s}\"\n  input = wildcards.s\n  shell = \"true\"\n}\n",
			"", ""},
		{"an expression with an error is not unquoted text", "rule \"a\" {\n  output = \"o\"\n  input = expand(\"a\" \"b\")\n}\n",
			"Missing argument separator", ""},
		{"a known variable out of scope is no unquoted path", "rule \"a\" {\n  output = \"o\"\n  input = params.txt\n}\n",
			"Variable not available here", "input cannot refer to params"},
		{"empty config", "rule \"a\" {\n  output = \"o\"\n  shell = \"echo ${config.x}\"\n}\n",
			"Unknown config key", "it is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Parse([]byte(c.src), "Rulefile")
			var errs hcl.Diagnostics
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					errs = append(errs, d)
				}
			}
			if c.summary == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected %s", diagString(errs[0]))
				}
				return
			}
			if len(errs) != 1 || errs[0].Summary != c.summary || !strings.Contains(errs[0].Detail, c.detail) {
				t.Fatalf("got %v, want one %q with %q", errs, c.summary, c.detail)
			}
		})
	}
}

// A key set by --config exists for the did-you-mean check: it runs after
// the command line's config is merged.
func TestKeyRefSeesOverrides(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Rulefile")
	writeFile(t, path, "rule \"a\" {\n  output = \"o\"\n  shell = \"echo ${config.extra}\"\n}\n")
	if _, diags := Load(path, Options{ConfigOverrides: []string{"extra=1"}}); diags.HasErrors() {
		t.Fatalf("with --config: %v", diags)
	}
	if _, diags := Load(path, Options{}); !diags.HasErrors() || diags[0].Summary != "Unknown config key" {
		t.Fatalf("without --config: %v", diags)
	}
}

// A panic while evaluating a job becomes an error diagnostic that asks for
// a bug report: Eval runs on worker goroutines main cannot recover.
func TestRecoverEval(t *testing.T) {
	r := &Rule{Name: "count"}
	eval := func() (job *Job, diags hcl.Diagnostics) {
		defer recoverEval(r, map[string]string{"sample": "a"}, &job, &diags)
		job = &Job{}
		panic("boom")
	}
	job, diags := eval()
	if job != nil || len(diags) != 1 || diags[0].Summary != "Internal error" {
		t.Fatalf("job %v, diags %v", job, diags)
	}
	for _, w := range []string{"rule count (sample=a): boom", "bug in flowmake", BugReports} {
		if !strings.Contains(diags[0].Detail, w) {
			t.Errorf("detail %q lacks %q", diags[0].Detail, w)
		}
	}
}
