package rules

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FuzzParse feeds arbitrary bytes to Parse, then evaluates every rule that
// loaded and renders the diagnostics: none of it may panic. It also checks
// that the nesting pre-scan reads the source as HCL does: wherever HCL
// finds no syntax error, every string, heredoc and bracket the pre-scan
// opened is closed at the end.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(invalidDir, "*.hcl"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(checkpointSrc))
	f.Add([]byte(`config {
  samples = ["a", "b"]
}
rule "all" {
  input = expand("out/{s}.txt", { s = config.samples })
}
rule "r" {
  input   = { reads = "in/{s}.txt" }
  output  = temp("out/{s,[a-z]+}.txt")
  params  = { f = "-x" }
  threads = 2
  shell   = <<EOT
%{ for f in input ~}
cat ${f} ${params.f} > ${output[0]} $${HOME}
%{ endfor ~}
EOT
}
`))
	f.Add([]byte(wrap(strings.Repeat("(", 300))))
	f.Add([]byte(wrap(`"${"${"$${(}"}"`)))
	f.Add([]byte("x = <<-EOT\n  ${ <<EOT\n(\nEOT\n }\n  EOT\ny = \"%{ if true }(%{ endif }\"\n"))
	f.Add([]byte("x = [\"#\", /* ( */ 1e-3, a-b] // (\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		s := &limitScan{src: src}
		// Parse turns away what is not UTF-8 before either reads it.
		at, what := s.run()
		if at < 0 && len(s.stack) > 0 && utf8.Valid(src) {
			if _, diags := hclsyntax.ParseConfig(src, "Rulefile", hcl.InitialPos); !diags.HasErrors() {
				t.Fatalf("pre-scan ends with %d frames open (innermost %q) on valid HCL", len(s.stack), s.stack[len(s.stack)-1].kind)
			}
		}
		if what == "char" && utf8.Valid(src) {
			if _, diags := hclsyntax.ParseConfig(src, "Rulefile", hcl.InitialPos); !diags.HasErrors() {
				t.Fatalf("pre-scan rejects byte %q at %d of valid HCL", src[at], at)
			}
		}
		wf, diags := Parse(src, "Rulefile")
		if wf == nil {
			t.Fatal("nil workflow")
		}
		_ = wf.WriteDiagnostics(io.Discard, diags, 80)
		if diags.HasErrors() {
			return
		}
		for _, r := range wf.Rules {
			wc := map[string]string{}
			for _, n := range r.Wildcards() {
				wc[n] = "x y"
			}
			_, diags := r.Eval(wc, Env{Dir: dir, Cores: 2})
			_ = wf.WriteDiagnostics(io.Discard, diags, 80)
		}
	})
}
