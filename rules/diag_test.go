package rules

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite golden files")

const invalidDir = "../testdata/rules/invalid"

// want is an expected diagnostic: its summary contains text and its
// subject starts on line of file (line 0: a diagnostic without subject).
type want struct {
	file string
	line int
	text string
}

var (
	wantRe       = regexp.MustCompile(`#\s*want:\s*(.+?)\s*$`)
	wantGlobalRe = regexp.MustCompile(`^#\s*want-global:\s*(.+?)\s*$`)
	configFileRe = regexp.MustCompile(`^#\s*configfile:\s*(\S+)`)
)

// wantsIn reads the "# want: SUMMARY" comments of one file.
func wantsIn(t *testing.T, file string, src []byte) []want {
	t.Helper()
	var out []want
	for i, line := range strings.Split(string(src), "\n") {
		if m := wantGlobalRe.FindStringSubmatch(line); m != nil {
			out = append(out, want{text: m[1]})
		} else if m := wantRe.FindStringSubmatch(line); m != nil {
			out = append(out, want{file: file, line: i + 1, text: m[1]})
		}
	}
	return out
}

// TestInvalidRulefiles checks each invalid Rulefile's diagnostics against
// the want comments (range and summary, both ways: nothing missing, nothing
// extra) and against its rendered golden file.
func TestInvalidRulefiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(invalidDir, "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".hcl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var wf *Workflow
			var diags hcl.Diagnostics
			// "# load" files go through Load (includes, config files);
			// the others through the pure Parse.
			if bytes.HasPrefix(src, []byte("# load\n")) {
				var opts Options
				for _, line := range strings.Split(string(src), "\n") {
					if m := configFileRe.FindStringSubmatch(line); m != nil {
						opts.ConfigFiles = append(opts.ConfigFiles, filepath.Join(invalidDir, m[1]))
					}
				}
				wf, diags = Load(file, opts)
			} else {
				wf, diags = Parse(src, filepath.Base(file))
			}
			if wf == nil {
				t.Fatal("nil workflow")
			}
			if !diags.HasErrors() {
				t.Fatal("no errors")
			}

			var wants []want
			for _, f := range wf.Files {
				fsrc := src
				if f != filepath.Base(file) {
					if fsrc, err = os.ReadFile(f); err != nil {
						t.Fatal(err)
					}
				}
				wants = append(wants, wantsIn(t, f, fsrc)...)
			}
			matches := func(w want, d *hcl.Diagnostic) bool {
				if !strings.Contains(d.Summary, w.text) {
					return false
				}
				if w.line == 0 {
					return d.Subject == nil
				}
				return d.Subject != nil && d.Subject.Filename == w.file && d.Subject.Start.Line == w.line
			}
			for _, w := range wants {
				found := false
				for _, d := range diags {
					found = found || matches(w, d)
				}
				if !found {
					t.Errorf("%s:%d: no diagnostic %q", w.file, w.line, w.text)
				}
			}
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				found := false
				for _, w := range wants {
					found = found || matches(w, d)
				}
				if !found {
					t.Errorf("unexpected diagnostic: %s", diagString(d))
				}
			}

			var out bytes.Buffer
			if err := wf.WriteDiagnostics(&out, diags, 80); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(invalidDir, name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./rules -update)", err)
			}
			if !bytes.Equal(out.Bytes(), exp) {
				t.Errorf("rendered diagnostics differ from %s (go test ./rules -update to accept):\n%s", golden, out.String())
			}
		})
	}
}

func diagString(d *hcl.Diagnostic) string {
	where := "-"
	if d.Subject != nil {
		where = d.Subject.String()
	}
	return fmt.Sprintf("%s: %s; %s", where, d.Summary, d.Detail)
}
