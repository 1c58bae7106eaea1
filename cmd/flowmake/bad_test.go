package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// badDir holds the bad-input corpus; testdata/bad/README.md describes it.
const badDir = "../../testdata/bad"

// badTimeout is how long one case may run: every case is refused or done
// in well under a second, so reaching it means flowmake hangs.
const badTimeout = 20 * time.Second

// maxBadStderr bounds what a case may print: one problem, said once.
const maxBadStderr = 16 << 10

// badCase is one case.yaml. Unknown keys are errors, so a typo in a case
// cannot switch a check off.
type badCase struct {
	Args     []string          `yaml:"args"`     // default: -n
	Exit     *int              `yaml:"exit"`     // required
	Contains []string          `yaml:"contains"` // in stderr
	Line     string            `yaml:"line"`     // FILE:LINE in stderr
	Once     []string          `yaml:"once"`     // in stderr exactly once
	Stdout   []string          `yaml:"stdout"`   // in stdout
	Files    map[string]string `yaml:"files"`    // work-relative path: exact content after the run
	Absent   []string          `yaml:"absent"`   // work-relative paths that must not exist after
	Setup    []setupStep       `yaml:"setup"`    // done in the copied work dir before the run
	Known    string            `yaml:"known"`    // a known bug: the case is skipped, saying why
}

// setupStep makes what git cannot hold, or should not: odd names, links,
// modes and generated huge input. Exactly one of Write, Symlink,
// Unreadable, Mkdir is set.
type setupStep struct {
	Write      string `yaml:"write"` // a file made of Text, or of Parts
	Text       string `yaml:"text"`
	Parts      []part `yaml:"parts"`
	Symlink    string `yaml:"symlink"` // a link to To
	To         string `yaml:"to"`
	Unreadable string `yaml:"unreadable"` // chmod 000; the case is skipped as root
	Mkdir      string `yaml:"mkdir"`
}

// part is Text repeated Times times (once when Times is 0).
type part struct {
	Text  string `yaml:"text"`
	Times int    `yaml:"times"`
}

// TestBadInput runs every case of testdata/bad in a sandbox:
//
//	ROOT/sandbox/work     the case's files; flowmake runs here
//	ROOT/sandbox/outside  a sibling directory targets may try to reach
//	ROOT/sandbox/home     HOME
//	ROOT/sandbox/tmp      TMPDIR
//
// Everything under ROOT's parent except work is compared before and after,
// so a write outside the working directory (HOME and TMPDIR included: a
// crash report lands there) fails the case, as do a hang, a panic, a wrong
// exit status, missing words and a file named PWNED anywhere.
func TestBadInput(t *testing.T) {
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runBadCase(t, filepath.Join(badDir, name))
		})
	}
	if n < 60 {
		t.Errorf("the corpus has %d cases, want at least 60", n)
	}
}

func runBadCase(t *testing.T, src string) {
	c := loadBadCase(t, src)
	if c.Known != "" {
		t.Skip("known bug: " + c.Known)
	}
	root := t.TempDir()
	sandbox := filepath.Join(root, "sandbox")
	work := filepath.Join(sandbox, "work")
	outside := filepath.Join(sandbox, "outside")
	home := filepath.Join(sandbox, "home")
	tmp := filepath.Join(sandbox, "tmp")
	for _, d := range []string{work, home, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Something to overwrite or delete, so a write outside shows.
	writeFile(t, filepath.Join(outside, "keep.txt"), "outside\n")
	copyCase(t, src, work)
	for _, s := range c.Setup {
		setup(t, work, s)
	}

	expand := strings.NewReplacer("$OUTSIDE", outside, "$SANDBOX", sandbox, "$WORK", work)
	args := []string{"-n"}
	if c.Args != nil {
		args = make([]string, len(c.Args))
		for i, a := range c.Args {
			args[i] = expand.Replace(a)
		}
	}

	scope := filepath.Dir(root)
	before := snapshot(t, scope, work)
	r, hung := runSandboxed(t, work, home, tmp, args)
	after := snapshot(t, scope, work)

	cmdline := "flowmake " + strings.Join(args, " ")
	show := fmt.Sprintf("%s: exit %d\nstderr:\n%.4000s\nstdout:\n%.2000s", cmdline, r.code, r.stderr, r.stdout)
	if hung {
		t.Fatalf("hang: %s did not end within %s\n%s", cmdline, badTimeout, show)
	}
	for _, bad := range []string{"goroutine ", "panic:", "runtime error", "internal error", "[signal "} {
		if strings.Contains(r.stderr, bad) || strings.Contains(r.stdout, bad) {
			t.Errorf("output holds %q (a crash)", bad)
		}
	}
	if len(r.stderr) > maxBadStderr {
		t.Errorf("stderr is %d bytes: a message that long is no help", len(r.stderr))
	}
	if r.code != *c.Exit {
		t.Errorf("exit %d, want %d", r.code, *c.Exit)
	}
	if c.Line != "" && !containsLine(r.stderr, c.Line) {
		t.Errorf("stderr lacks the location %s", c.Line)
	}
	// Words are compared with runs of white space as one space: details
	// are wrapped at 80 columns.
	stderr, stdout := oneSpace(r.stderr), oneSpace(r.stdout)
	for _, w := range c.Contains {
		if !strings.Contains(stderr, oneSpace(w)) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	for _, w := range c.Once {
		if k := strings.Count(stderr, oneSpace(w)); k != 1 {
			t.Errorf("stderr holds %q %d times, want once", w, k)
		}
	}
	for _, w := range c.Stdout {
		if !strings.Contains(stdout, oneSpace(w)) {
			t.Errorf("stdout lacks %q", w)
		}
	}
	for p, want := range c.Files {
		got, err := os.ReadFile(filepath.Join(work, p))
		if err != nil {
			t.Errorf("the job did not make %q: %v", p, err)
		} else if string(got) != want {
			t.Errorf("%q holds %q, want %q", p, got, want)
		}
	}
	for _, p := range c.Absent {
		if exists(filepath.Join(work, p)) {
			t.Errorf("%q exists, want it absent", p)
		}
	}
	for _, d := range diffSnapshots(before, after) {
		t.Errorf("written outside the working directory: %s", d)
	}
	filepath.WalkDir(scope, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "PWNED" {
			t.Errorf("a name was run as a command: %s exists", p)
		}
		return nil
	})
	if t.Failed() {
		t.Log(show)
	}
}

func loadBadCase(t *testing.T, dir string) badCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "case.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c badCase
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s/case.yaml: %v", dir, err)
	}
	if c.Exit == nil {
		t.Fatalf("%s/case.yaml: no exit status", dir)
	}
	if len(c.Contains) == 0 && len(c.Files) == 0 && c.Known == "" {
		t.Fatalf("%s/case.yaml: nothing to check (contains or files)", dir)
	}
	return c
}

// copyCase copies the case's files, all but case.yaml, into work.
func copyCase(t *testing.T, src, work string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "case.yaml" {
			return nil
		}
		target := filepath.Join(work, rel)
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
}

func setup(t *testing.T, work string, s setupStep) {
	t.Helper()
	switch {
	case s.Write != "":
		var b strings.Builder
		b.WriteString(s.Text)
		for _, p := range s.Parts {
			b.WriteString(strings.Repeat(p.Text, max(p.Times, 1)))
		}
		writeFile(t, filepath.Join(work, s.Write), b.String())
	case s.Symlink != "":
		p := filepath.Join(work, s.Symlink)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(s.To, p); err != nil {
			t.Fatal(err)
		}
	case s.Unreadable != "":
		if os.Geteuid() == 0 {
			t.Skip("root reads files whatever their mode")
		}
		p := filepath.Join(work, s.Unreadable)
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		// t.TempDir's cleanup cannot remove an unreadable directory.
		t.Cleanup(func() { os.Chmod(p, 0o755) })
	case s.Mkdir != "":
		if err := os.MkdirAll(filepath.Join(work, s.Mkdir), 0o755); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("setup step %+v does nothing", s)
	}
}

// runSandboxed runs flowmake in its own process group, with HOME and
// TMPDIR in the sandbox, and kills the group when it overruns badTimeout.
func runSandboxed(t *testing.T, work, home, tmp string, args []string) (result, bool) {
	t.Helper()
	cmd := osexec.Command(flowmakeBin, args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+home, "TMPDIR="+tmp, "GORACE=atexit_sleep_ms=0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, errb := &capped{}, &capped{}
	cmd.Stdout, cmd.Stderr = out, errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting flowmake: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	hung := false
	select {
	case err = <-done:
	case <-time.After(badTimeout):
		hung = true
		// SIGTERM first: flowmake passes it on to its jobs' process
		// groups, which a SIGKILL of its own group would leave running.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			err = <-done
		}
	}
	code := 0
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running flowmake: %v", err)
	}
	return result{out.String(), errb.String(), code}, hung
}

// capped keeps the first MiB written to it: a runaway message must not
// take the test's memory.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 1<<20 - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func oneSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// containsLine reports whether s holds loc (FILE:LINE) not followed by
// another digit, so Rulefile:3 does not match Rulefile:30.
func containsLine(s, loc string) bool {
	for i := strings.Index(s, loc); i >= 0; {
		end := i + len(loc)
		if end == len(s) || s[end] < '0' || s[end] > '9' {
			return true
		}
		j := strings.Index(s[end:], loc)
		if j < 0 {
			return false
		}
		i = end + j
	}
	return false
}

// snapshot records every entry under dir except skip: kind, mode, size,
// modification time and a link's target.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			snap[p] = "unreadable"
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			snap[p] = "gone"
			return nil
		}
		s := fmt.Sprintf("%v %d", info.Mode(), info.Size())
		if !d.IsDir() {
			s += " " + info.ModTime().String()
		}
		if d.Type()&fs.ModeSymlink != 0 {
			to, _ := os.Readlink(p)
			s += " -> " + to
		}
		snap[p] = s
		return nil
	})
	return snap
}

func diffSnapshots(before, after map[string]string) []string {
	var d []string
	for p, a := range after {
		if b, ok := before[p]; !ok {
			d = append(d, "new "+p)
		} else if a != b {
			d = append(d, "changed "+p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			d = append(d, "removed "+p)
		}
	}
	sort.Strings(d)
	return d
}
