package rules

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, then evaluates every rule that
// loaded and renders the diagnostics: none of it may panic.
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
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
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
