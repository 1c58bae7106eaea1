package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Every shape is the same graph for every tool that can express it: a
// full build by flowmake, make and Ninja leaves the same files with the
// same contents, and flowmake runs as many jobs as gen says.
func TestShapesAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds flowmake and runs three tools")
	}
	fm := filepath.Join(t.TempDir(), "flowmake")
	if out, err := osexec.Command("go", "build", "-o", fm, "../../cmd/flowmake").CombinedOutput(); err != nil {
		t.Fatalf("build flowmake: %v\n%s", err, out)
	}
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	sort.Strings(names)
	const n = 4
	steps := regexp.MustCompile(`(\d+) of (\d+) steps \(100%\) done`)
	for _, name := range names {
		sh := shapes[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := ""
			for _, tool := range []struct{ name, file, bin string }{
				{"flowmake", "Rulefile", fm},
				{"make", "Makefile", "make"},
				{"ninja", "build.ninja", "ninja"},
			} {
				dir := t.TempDir()
				if err := writeShape(dir, sh, n, 0.02); err != nil { // critical's chain then takes 0.2 s
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(dir, tool.file)); err != nil {
					continue // a peer that cannot express the shape
				}
				if _, err := osexec.LookPath(tool.bin); err != nil {
					if os.Getenv("CI") != "" {
						t.Fatalf("%s is not installed (scripts/setup.sh installs it)", tool.bin)
					}
					t.Logf("%s not installed; not compared", tool.bin)
					continue
				}
				cmd := osexec.Command(tool.bin, "-j2")
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", tool.name, err, out)
				}
				if tool.name == "flowmake" {
					m := steps.FindSubmatch(out)
					if m == nil || string(m[1]) != strconv.Itoa(sh.jobs(n)) {
						t.Errorf("flowmake ran %q jobs, gen says %d:\n%s", m, sh.jobs(n), out)
					}
				}
				got := tree(t, dir)
				if want == "" {
					want = got
				} else if got != want {
					t.Errorf("%s made other files than flowmake:\n%s\nwant\n%s", tool.name, got, want)
				}
			}
		})
	}
}

// tree lists the files a build made with a hash of each, leaving out the
// workflow files and tools' own state.
func tree(t *testing.T, dir string) string {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		switch d.Name() {
		case "Rulefile", "Snakefile", "Makefile", "build.ninja", ".ninja_log", ".ninja_deps":
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s %x", rel, sha256.Sum256(data)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
