package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// flowmakeBin is the real binary, built once for the end-to-end tests.
var flowmakeBin string

func TestMain(m *testing.M) {
	// A developer's default profile must not reach the binaries the tests
	// run; the profile tests set it themselves.
	os.Unsetenv("FLOWMAKE_PROFILE")
	dir, err := os.MkdirTemp("", "flowmake-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	flowmakeBin = filepath.Join(dir, "flowmake")
	build := osexec.Command("go", "build", "-race", "-o", flowmakeBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building flowmake:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workspace writes files (path -> content) into a new temporary directory.
func workspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTracked copies the files git tracks under a repository directory
// (an example) into a temp directory, so tests never write into the
// repository and never see what a demo run left there. Outside a git
// checkout (a source tarball) it copies everything.
func copyTracked(t *testing.T, src string) string {
	t.Helper()
	ls := osexec.Command("git", "ls-files", "-z", "--", ".")
	ls.Dir = src
	out, err := ls.Output()
	if err != nil || len(out) == 0 {
		return copyTree(t, src) // not a checkout: nothing to tell apart
	}
	dst := t.TempDir()
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, rel), string(data))
	}
	return dst
}

// copyTree copies a directory, .flowmake/ included, into a temp directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

type result struct {
	stdout, stderr string
	code           int
}

// flowmake runs the real binary in dir with args.
func flowmake(t *testing.T, dir string, args ...string) result {
	t.Helper()
	// A -race binary sleeps a second at exit by default; hundreds of runs
	// add minutes to the suite.
	return runWithEnv(t, dir, append(os.Environ(), "GORACE=atexit_sleep_ms=0"), args...)
}

// runWithEnv runs the real binary in dir with args and exactly env.
func runWithEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := osexec.Command(flowmakeBin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running flowmake: %v", err)
	}
	return result{out.String(), errb.String(), code}
}

// startFlowmake starts the real binary in dir with args and returns it
// running, with its stderr gathered, for tests that signal it or watch
// it mid-run.
func startFlowmake(t *testing.T, dir string, args ...string) (*osexec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := osexec.Command(flowmakeBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &errb
}

// mustRun runs flowmake and fails the test unless it exits 0.
func mustRun(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := flowmake(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("flowmake %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// setMtime sets a file's modification time to now+offset.
func setMtime(t *testing.T, path string, offset time.Duration) {
	t.Helper()
	when := time.Now().Add(offset)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}
