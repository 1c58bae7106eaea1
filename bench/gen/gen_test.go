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

// -built leaves what a real build leaves: the same files as Ninja's full
// build, a .ninja_log with which Ninja has no work to do, and outputs
// that flowmake finds up to date once --touch has recorded them.
func TestBuiltIsABuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds flowmake and runs Ninja")
	}
	for _, tool := range []string{"ninja", "go"} {
		if _, err := osexec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (scripts/setup.sh installs it)", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	fm := filepath.Join(t.TempDir(), "flowmake")
	if out, err := osexec.Command("go", "build", "-o", fm, "../../cmd/flowmake").CombinedOutput(); err != nil {
		t.Fatalf("build flowmake: %v\n%s", err, out)
	}
	run := func(dir, bin string, args ...string) string {
		t.Helper()
		cmd := osexec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, name := range []string{"fan", "pipeline", "chain"} {
		t.Run(name, func(t *testing.T) {
			built, real := t.TempDir(), t.TempDir()
			for _, dir := range []string{built, real} {
				if err := writeShape(dir, shapes[name], 5, 0); err != nil {
					t.Fatal(err)
				}
			}
			if err := writeBuilt(built); err != nil {
				t.Fatal(err)
			}
			run(real, "ninja", "-j2")
			if got, want := tree(t, built), tree(t, real); got != want {
				t.Errorf("-built wrote\n%s\nNinja built\n%s", got, want)
			}
			if out := run(built, "ninja", "-n", "-d", "explain"); !strings.Contains(out, "no work to do") {
				t.Errorf("Ninja has work to do after -built:\n%s", out)
			}
			run(built, fm, "-F", "--touch", "-q")
			if out := run(built, fm, "-n"); !strings.Contains(out, "Nothing to be done") {
				t.Errorf("flowmake has work to do after -built and --touch:\n%s", out)
			}
		})
	}
}
