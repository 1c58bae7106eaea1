package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Tool is a workflow engine a case is played under.
type Tool struct {
	Name     string // "snakemake" or "flowmake"
	Program  string // the executable
	RuleFile string // the rule file it reads
	// foreign is the other tool's rule-file extension, not laid out.
	foreign string
	// coresFlag is added when a run step names no core count, so that
	// both tools run one job at a time unless the case says otherwise.
	coresFlag string
	// dryRun parses the jobs out of a dry run's output.
	dryRun func(out string) []string
	// env is added to the tool's environment.
	env []string
}

// Snakemake is the tool the expectations are recorded from.
func Snakemake(program string) Tool {
	return Tool{Name: "snakemake", Program: program, RuleFile: "Snakefile", foreign: ".hcl", coresFlag: "-c1", dryRun: ParseSnakemakeDryRun}
}

// Flowmake is the tool the suite checks.
func Flowmake(program string) Tool {
	t := Tool{Name: "flowmake", Program: program, RuleFile: "Rulefile", foreign: ".smk", coresFlag: "-j1", dryRun: ParseFlowmakeDryRun}
	// A binary built with -race sleeps 1 s at exit by default; hundreds
	// of runs would spend minutes asleep.
	if _, set := os.LookupEnv("GORACE"); !set {
		t.env = []string{"GORACE=atexit_sleep_ms=0"}
	}
	return t
}

// Args is the command line for a run step.
func (t Tool) Args(step []string) []string {
	for _, a := range step {
		if namesCores(a) {
			return append([]string(nil), step...)
		}
	}
	return append([]string{t.coresFlag}, step...)
}

func namesCores(a string) bool {
	switch {
	case a == "-j" || a == "-c" || a == "--cores" || a == "--jobs":
		return true
	case strings.HasPrefix(a, "--cores=") || strings.HasPrefix(a, "--jobs="):
		return true
	case len(a) > 2 && (a[:2] == "-j" || a[:2] == "-c") && a[2] >= '0' && a[2] <= '9':
		return true
	}
	return false
}

// Exit classes.
const (
	ExitOK   = "ok"
	ExitFail = "fail"
)

// Result is what a run step shows, the part that is compared.
type Result struct {
	Exit     string            `yaml:"exit"`
	Jobs     []string          `yaml:"jobs"`
	Files    map[string]string `yaml:"files"`
	ReadOnly []string          `yaml:"readonly,omitempty"`
}

// Outcome is a run step's result together with what explains it.
type Outcome struct {
	Step     int // 1-based index in the case's steps
	Args     []string
	Result   Result
	Code     int
	TimedOut bool
	Stdout   string
	Stderr   string
	Elapsed  time.Duration
}

// Play is one case being played under one tool in a scratch directory.
type Play struct {
	Case    *Case
	Tool    Tool
	Work    string // the workflow's working directory
	Journal string // $JOURNAL, outside Work
	now     func() time.Time
}

// NewPlay lays out c for tool under base (an empty scratch directory):
// the case directory's files except case.yaml, expected.yaml and the other
// tool's rule files, then the initial files, every one with its mtime.
func NewPlay(c *Case, tool Tool, base string) (*Play, error) {
	p := &Play{Case: c, Tool: tool, Work: filepath.Join(base, "work"), Journal: filepath.Join(base, "journal"), now: time.Now}
	if err := os.MkdirAll(p.Work, 0o755); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if err := p.copyIn(e.Name()); err != nil {
			return nil, fmt.Errorf("case %s: lay out %s: %w", c.Name, e.Name(), err)
		}
	}
	for _, name := range sortedKeys(c.Files) {
		f := c.Files[name]
		age := DefaultAge.Seconds()
		if f.Age != nil {
			age = *f.Age
		}
		if err := p.write(name, f.Data(name), age); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Play) laidOut(rel string) bool {
	base := path.Base(rel)
	switch {
	case rel == "case.yaml" || rel == "expected.yaml":
		return false
	case base == "Rulefile" || base == "Snakefile":
		return base == p.Tool.RuleFile
	case strings.HasSuffix(base, p.Tool.foreign):
		return false
	}
	return true
}

func (p *Play) copyIn(top string) error {
	return filepath.WalkDir(filepath.Join(p.Case.Dir, top), func(src string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p.Case.Dir, src)
		rel = filepath.ToSlash(rel)
		if d.IsDir() || !p.laidOut(rel) {
			return nil
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return p.write(rel, data, DefaultAge.Seconds())
	})
}

func (p *Play) write(rel string, data []byte, age float64) error {
	full := filepath.Join(p.Work, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if strings.HasSuffix(rel, ".sh") || strings.HasSuffix(rel, ".py") {
		mode = 0o755
	}
	if err := os.WriteFile(full, data, mode); err != nil {
		return err
	}
	return p.age(full, age)
}

func (p *Play) age(full string, seconds float64) error {
	t := p.now().Add(-time.Duration(seconds * float64(time.Second)))
	return os.Chtimes(full, t, t)
}

// Step applies step i (0-based). A run step returns its outcome; the
// others return nil. An error is a broken case or harness, not a result.
func (p *Play) Step(ctx context.Context, i int) (*Outcome, error) {
	s := p.Case.Steps[i]
	switch {
	case s.IsRun():
		return p.run(ctx, i, s.Run)
	case s.Touch != nil:
		full := filepath.Join(p.Work, filepath.FromSlash(s.Touch.Path))
		if _, err := os.Lstat(full); errors.Is(err, fs.ErrNotExist) {
			if err := p.write(s.Touch.Path, nil, s.Touch.Age); err != nil {
				return nil, err
			}
			return nil, nil
		}
		return nil, p.age(full, s.Touch.Age)
	case len(s.Delete) > 0:
		for _, rel := range s.Delete {
			full := filepath.Join(p.Work, filepath.FromSlash(rel))
			if _, err := os.Lstat(full); err != nil {
				return nil, fmt.Errorf("step %d: delete %s: %w", i+1, rel, err)
			}
			if err := os.RemoveAll(full); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case s.Write != nil:
		age := 0.0
		if s.Write.Age != nil {
			age = *s.Write.Age
		}
		return nil, p.write(s.Write.Path, s.Write.file().Data(s.Write.Path), age)
	default:
		for _, e := range s.Edit {
			if !p.laidOut(e.File) {
				continue
			}
			full := filepath.Join(p.Work, filepath.FromSlash(e.File))
			data, err := os.ReadFile(full)
			if err != nil {
				return nil, fmt.Errorf("step %d: edit: %w", i+1, err)
			}
			if !bytes.Contains(data, []byte(e.Old)) {
				return nil, fmt.Errorf("step %d: edit %s: %q not found", i+1, e.File, e.Old)
			}
			data = bytes.Replace(data, []byte(e.Old), []byte(e.New), 1)
			if err := os.WriteFile(full, data, 0o644); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}

func (p *Play) run(ctx context.Context, i int, stepArgs []string) (*Outcome, error) {
	if err := os.WriteFile(p.Journal, nil, 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.Case.timeout())
	defer cancel()
	args := p.Tool.Args(stepArgs)
	cmd := osexec.CommandContext(ctx, p.Tool.Program, args...)
	cmd.Dir = p.Work
	cmd.Env = append(append(os.Environ(), p.Tool.env...), "JOURNAL="+p.Journal)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// The tool and its jobs in a process group of their own, so a timeout
	// kills the jobs too and nothing holds the pipes open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	o := &Outcome{Step: i + 1, Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	var ee *osexec.ExitError
	switch {
	case ctx.Err() != nil:
		o.TimedOut, o.Code = true, -1
	case errors.As(err, &ee):
		o.Code = ee.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("run %s: %w", p.Tool.Program, err)
	}
	o.Result.Exit = ExitOK
	if o.Code != 0 {
		o.Result.Exit = ExitFail
	}
	if isDryRun(stepArgs) {
		o.Result.Jobs = p.Tool.dryRun(o.Stdout + "\n" + o.Stderr)
	}
	journal, err := os.ReadFile(p.Journal)
	if err != nil {
		return nil, err
	}
	// A dry run must run nothing: its journal lines, if any, show up as
	// jobs beside the listed ones.
	for _, line := range strings.Split(string(journal), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if isDryRun(stepArgs) {
				line = "RAN " + line
			}
			o.Result.Jobs = append(o.Result.Jobs, line)
		}
	}
	sort.Strings(o.Result.Jobs)
	if o.Result.Jobs == nil {
		o.Result.Jobs = []string{}
	}
	o.Result.Files, o.Result.ReadOnly, err = p.snapshot()
	return o, err
}

func isDryRun(args []string) bool {
	for _, a := range args {
		if a == "-n" || a == "--dry-run" || a == "--dryrun" {
			return true
		}
	}
	return false
}

// MaxInline is the largest file whose content a snapshot holds as text;
// larger or binary files are held as their size and hash.
const MaxInline = 2048

// snapshot lists the working directory's files (not directories) and
// their contents, without either tool's own state and rule files.
func (p *Play) snapshot() (map[string]string, []string, error) {
	files := map[string]string{}
	var readOnly []string
	err := filepath.WalkDir(p.Work, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p.Work, full)
		rel = filepath.ToSlash(rel)
		base := d.Name()
		if d.IsDir() {
			switch base {
			case ".snakemake", ".flowmake", "__pycache__":
				return filepath.SkipDir
			}
			return nil
		}
		// Snakemake marks directory() outputs with a hidden timestamp file.
		if base == ".snakemake_timestamp" || base == "Rulefile" || base == "Snakefile" ||
			strings.HasSuffix(base, ".hcl") || strings.HasSuffix(base, ".smk") {
			return nil
		}
		info, err := os.Lstat(full)
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(full)
			if err != nil {
				return err
			}
			files[rel] = "symlink -> " + target
			return nil
		}
		if info.Mode().Perm()&0o200 == 0 {
			readOnly = append(readOnly, rel)
		}
		if p.Case.volatile(rel) {
			files[rel] = "<volatile>"
			return nil
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return err
		}
		files[rel] = fileValue(data)
		return nil
	})
	sort.Strings(readOnly)
	return files, readOnly, err
}

func fileValue(data []byte) string {
	if len(data) <= MaxInline && utf8.Valid(data) {
		return string(data)
	}
	return fmt.Sprintf("<%d bytes, sha256 %x>", len(data), sha256.Sum256(data))
}

func (c *Case) volatile(rel string) bool {
	for _, pat := range c.Volatile {
		if ok, _ := path.Match(pat, rel); ok {
			return true
		}
	}
	return false
}
