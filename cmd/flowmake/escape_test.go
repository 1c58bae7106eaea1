package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// escapeRulefile has a rule whose wildcard a target could point outside,
// and one whose own literal text does ("../data/{s}.fq"), which is allowed.
const escapeRulefile = `
rule "copy" {
  output = "{name}.txt"
  shell  = "echo made > ${output}"
}
rule "up" {
  input  = "../data/{s}.fq"
  output = "up/{s}.out"
  shell  = "cp ${input} ${output}"
}
`

// TestWildcardsDoNotEscape runs the real binary on targets that would bind
// a wildcard outside the working directory, and checks that each is refused
// with a message naming it, and that nothing is written outside.
func TestWildcardsDoNotEscape(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, filepath.Join(ws, "Rulefile"), escapeRulefile)
	writeFile(t, filepath.Join(root, "data", "A.fq"), "reads\n")
	writeFile(t, filepath.Join(root, "there.txt"), "kept\n")
	abs := filepath.Join(root, "abs.txt") // a "/tmp/x.txt" style target

	refused := []struct {
		target string
		want   []string
	}{
		{"../outside.txt", []string{"target ../outside.txt", "may not leave the working directory", `{name}="../outside"`, "rule copy"}},
		{abs, []string{"target " + abs, "may not leave the working directory", `{name}="` + strings.TrimSuffix(abs, ".txt") + `"`}},
		{"a/../../x.txt", []string{"target a/../../x.txt", "may not leave the working directory", `{name}="../x"`}},
	}
	before := outsideFiles(t, root, ws)
	for _, tt := range refused {
		for _, args := range [][]string{{"-n", tt.target}, {"-j1", tt.target}} {
			r := flowmake(t, ws, args...)
			if r.code != 1 {
				t.Errorf("flowmake %s: exit %d, want 1\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("flowmake %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("flowmake %s: stack trace:\n%s", strings.Join(args, " "), r.stderr)
			}
		}
	}
	if after := outsideFiles(t, root, ws); after != before {
		t.Errorf("files outside the working directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, f := range []string{filepath.Join(root, "outside.txt"), abs, filepath.Join(root, "x.txt")} {
		if exists(f) {
			t.Errorf("%s was written", f)
		}
	}

	// What stays allowed: a value with "/", as in Snakemake; the author's
	// literal "../"; an existing file outside as a target (nothing runs).
	mustRun(t, ws, "-j1", "a/b.txt")
	if got := readFile(t, filepath.Join(ws, "a", "b.txt")); got != "made\n" {
		t.Errorf("a/b.txt = %q, want %q", got, "made\n")
	}
	mustRun(t, ws, "-j1", "up/A.out")
	if got := readFile(t, filepath.Join(ws, "up", "A.out")); got != "reads\n" {
		t.Errorf("up/A.out = %q, want %q", got, "reads\n")
	}
	mustRun(t, ws, "-j1", "../there.txt")
	if after := outsideFiles(t, root, ws); after != before {
		t.Errorf("files outside the working directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// outsideFiles lists the files under root, except those under skip, with
// their sizes, modes and modification times.
func outsideFiles(t *testing.T, root, skip string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.Mode().String() + " " + fi.ModTime().String())
		if !fi.IsDir() {
			b.WriteString(" " + readFile(t, p))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGlobOverSymlinkLoop: glob_wildcards over a directory holding a
// symlink loop ends, and sees each file once.
func TestGlobOverSymlinkLoop(t *testing.T) {
	ws := workspace(t, map[string]string{
		"Rulefile": `
config {
  samples = glob_wildcards("data/{s}.txt").s
}
rule "all" {
  input  = expand("data/{s}.txt", { s = config.samples })
  output = "all.txt"
  shell  = "cat ${input} > ${output}"
}
`,
		"data/a.txt":     "a\n",
		"data/sub/b.txt": "b\n",
	})
	for link, target := range map[string]string{"data/loop": ".", "data/sub/up": ".."} {
		if err := os.Symlink(target, filepath.Join(ws, link)); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan result, 1)
	go func() { done <- flowmake(t, ws, "-j1") }()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("flowmake did not end on a symlink loop")
	}
	if got := readFile(t, filepath.Join(ws, "all.txt")); got != "a\nb\n" {
		t.Errorf("all.txt = %q, want %q", got, "a\nb\n")
	}
}
