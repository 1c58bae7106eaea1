package rules

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormatCanonical(t *testing.T) {
	src := "rule   \"a\"{\n" +
		"output=[\"a.txt\"]\n" +
		"  # keep me\n" +
		"      shell  =  \"touch ${output}\"\n" +
		"threads=2\n" +
		"}\n"
	want := "rule \"a\" {\n" +
		"  output = [\"a.txt\"]\n" +
		"  # keep me\n" +
		"  shell   = \"touch ${output}\"\n" +
		"  threads = 2\n" +
		"}\n"
	got, diags := Format([]byte(src), "Rulefile")
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	if string(got) != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	// The output must still be a Rulefile that loads to the same rule.
	wf, diags := Parse(got, "Rulefile")
	if diags.HasErrors() || len(wf.Rules) != 1 || wf.Rules[0].Name != "a" {
		t.Errorf("formatted source does not load: %v", diags)
	}
}

func TestFormatKeepsHeredoc(t *testing.T) {
	src := "rule \"a\" {\noutput = [\"a\"]\nshell = <<-EOT\n    echo   one\n      echo two\n  EOT\n}\n"
	got, diags := Format([]byte(src), "Rulefile")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, line := range []string{"    echo   one\n", "      echo two\n"} {
		if !strings.Contains(string(got), line) {
			t.Errorf("heredoc line %q changed:\n%s", line, got)
		}
	}
}

func TestFormatSyntaxError(t *testing.T) {
	src := "rule \"a\" {\n  output = [\"a\"\n}\n"
	got, diags := Format([]byte(src), "bad/Rulefile")
	if got != nil {
		t.Errorf("formatted a broken file: %q", got)
	}
	if !diags.HasErrors() {
		t.Fatal("no diagnostics for a syntax error")
	}
	d := diags[0]
	if d.Subject == nil || d.Subject.Filename != "bad/Rulefile" || d.Subject.Start.Line < 2 {
		t.Errorf("diagnostic without the file's place: %+v", d)
	}
	if n := len(diags.Errs()); n != 1 {
		t.Errorf("got %d errors, want the first only, as Load gives", n)
	}
}

func TestFormatRefusesBinary(t *testing.T) {
	got, diags := Format([]byte("rule \"a\" {\x00}"), "x.gz")
	if got != nil || !diags.HasErrors() || diags[0].Summary != "Binary file" {
		t.Errorf("Format(binary) = %q, %v", got, diags)
	}
}

// TestFormatIdempotentOnRepo formats every Rulefile and .hcl file in the
// repository (testdata and examples included) twice: the second pass must
// change nothing. Files that do not parse (testdata/bad, the invalid
// cases) are skipped but counted, so the test cannot pass by skipping all.
func TestFormatIdempotentOnRepo(t *testing.T) {
	root := filepath.Join("..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s: %v", root, err)
	}
	var checked, skipped, changed int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules") {
				return filepath.SkipDir // .git, .flowmake run state
			}
			return nil
		}
		if n := d.Name(); n != "Rulefile" && filepath.Ext(n) != ".hcl" {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		once, diags := Format(src, p)
		if diags.HasErrors() {
			skipped++
			return nil
		}
		checked++
		if !bytes.Equal(once, src) {
			changed++
		}
		twice, diags := Format(once, p)
		if diags.HasErrors() {
			t.Errorf("%s: formatted output does not parse: %v", p, diags)
			return nil
		}
		if !bytes.Equal(twice, once) {
			t.Errorf("%s: fmt is not idempotent:\nfirst:\n%s\nsecond:\n%s", p, once, twice)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked %d files (%d not canonical yet), skipped %d that do not parse", checked, changed, skipped)
	if checked < 100 || checked < 3*skipped {
		t.Errorf("checked only %d files, skipped %d: the walk missed the repository's Rulefiles", checked, skipped)
	}
}
