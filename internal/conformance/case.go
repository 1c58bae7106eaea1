package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultAge is how old an initial file is unless the case says otherwise,
// so that outputs a tool makes are always newer than the files it starts
// from.
const DefaultAge = 1000 * time.Second

// DefaultTimeout bounds one run step, so a tool that hangs fails the case
// instead of the whole test binary.
const DefaultTimeout = 60 * time.Second

// Case is one scenario: initial files and a sequence of steps.
type Case struct {
	Name        string // the directory's base name
	Dir         string
	Description string              `yaml:"description"`
	Files       map[string]FileSpec `yaml:"files"`
	Steps       []Step              `yaml:"steps"`
	// Volatile lists path patterns (path.Match, "**/" not supported) whose
	// content differs from run to run (benchmark figures): only their
	// presence is compared.
	Volatile []string `yaml:"volatile"`
	// TimeoutSeconds overrides DefaultTimeout for each run step.
	TimeoutSeconds float64 `yaml:"timeout"`
	// Expected is expected.yaml, nil before the case is recorded.
	Expected *Expected `yaml:"-"`
}

// FileSpec is an initial or written file. In YAML it is either a string
// (the content) or a mapping with content, size and age.
type FileSpec struct {
	Content string `yaml:"content"`
	// Size, when set, makes the content Size bytes of text derived from
	// the path (for inputs above Snakemake's 100 kB checksum limit).
	Size int `yaml:"size"`
	// Age is how many seconds in the past the mtime is; negative is in the
	// future. Nil means DefaultAge for initial files and 0 for writes.
	Age *float64 `yaml:"age"`
}

func (f *FileSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&f.Content)
	}
	type plain FileSpec
	return n.Decode((*plain)(f))
}

// Data is the file's bytes.
func (f FileSpec) Data(name string) []byte {
	if f.Size == 0 {
		return []byte(f.Content)
	}
	var b bytes.Buffer
	for i := 0; b.Len() < f.Size; i++ {
		fmt.Fprintf(&b, "%s line %d\n", name, i)
	}
	return b.Bytes()[:f.Size]
}

// Step is one thing a case does. Exactly one of the action fields is set.
type Step struct {
	Run    []string   `yaml:"run"`
	Touch  *PathAge   `yaml:"touch"`
	Delete StringList `yaml:"delete"`
	Write  *WriteSpec `yaml:"write"`
	Edit   EditList   `yaml:"edit"`
	// Expect overrides the recorded result for a decided difference.
	Expect *Override `yaml:"flowmake_expect"`
	Note   string    `yaml:"note"` // what the step shows, for readers
	isRun  bool      // run: was present, even as run: []
}

func (s *Step) UnmarshalYAML(n *yaml.Node) error {
	type plain Step
	if err := n.Decode((*plain)(s)); err != nil {
		return err
	}
	set := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "run":
			s.isRun = true
			set++
		case "touch", "delete", "write", "edit":
			set++
		case "flowmake_expect", "note":
		default:
			return fmt.Errorf("line %d: unknown step key %q", n.Content[i].Line, k)
		}
	}
	if set != 1 {
		return fmt.Errorf("line %d: a step needs exactly one of run, touch, delete, write, edit", n.Line)
	}
	if s.Expect != nil && !s.isRun {
		return fmt.Errorf("line %d: flowmake_expect belongs to a run step", n.Line)
	}
	return nil
}

// IsRun reports whether the step runs the tool.
func (s Step) IsRun() bool { return s.isRun }

// String is the step as a failure message names it.
func (s Step) String() string {
	switch {
	case s.isRun:
		return "run " + strings.Join(s.Run, " ")
	case s.Touch != nil:
		return fmt.Sprintf("touch %s (age %gs)", s.Touch.Path, s.Touch.Age)
	case len(s.Delete) > 0:
		return "delete " + strings.Join(s.Delete, " ")
	case s.Write != nil:
		return "write " + s.Write.Path
	case len(s.Edit) > 0:
		var files []string
		for _, e := range s.Edit {
			files = append(files, e.File)
		}
		return "edit " + strings.Join(files, " ")
	}
	return "?"
}

// PathAge is a touch: a path, or a mapping with path and age (seconds in
// the past; negative is in the future; default 0, now).
type PathAge struct {
	Path string  `yaml:"path"`
	Age  float64 `yaml:"age"`
}

func (p *PathAge) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&p.Path)
	}
	type plain PathAge
	return n.Decode((*plain)(p))
}

// StringList is a string or a list of strings.
type StringList []string

func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = []string{n.Value}
		return nil
	}
	return n.Decode((*[]string)(l))
}

// WriteSpec writes a file (content or size) with an age (default 0).
type WriteSpec struct {
	Path    string   `yaml:"path"`
	Content string   `yaml:"content"`
	Size    int      `yaml:"size"`
	Age     *float64 `yaml:"age"`
}

func (w WriteSpec) file() FileSpec { return FileSpec{Content: w.Content, Size: w.Size, Age: w.Age} }

// Edit replaces old by new, once, in one file. An edit of a file that the
// tool's layout lacks (the Rulefile under Snakemake) does nothing, so a code
// change is written as two edits, one per tool's rule file.
type Edit struct {
	File string `yaml:"file"`
	Old  string `yaml:"old"`
	New  string `yaml:"new"`
}

// EditList is an edit or a list of edits.
type EditList []Edit

func (l *EditList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var e Edit
		if err := n.Decode(&e); err != nil {
			return err
		}
		*l = []Edit{e}
		return nil
	}
	return n.Decode((*[]Edit)(l))
}

// Differences are the decided differences from Snakemake 7.21 that a case
// may override the recorded result for (docs/differences.md). Nothing else
// may be overridden: any other difference is fixed or argued there first.
var Differences = map[string]string{
	"small-file-checksum": "1: no hidden checksum for inputs under 100 kB",
	"validate-every-rule": "2: every rule is validated when the Rulefile loads",
	"clean-paths":         "3: paths are cleaned in rules as well as on the command line",
	// Not a behaviour difference but the language: a Rulefile's shell is an
	// HCL template, so Snakemake's single-brace form is rejected at load.
	"hcl-template-braces": "single-brace Snakemake references in a shell are a load error",
}

// Override is what flowmake must show for a step instead of the recorded
// Snakemake result, for one of the Differences. Fields left out keep the
// recorded value.
type Override struct {
	Difference string   `yaml:"difference"`
	Why        string   `yaml:"why"`
	Exit       string   `yaml:"exit"`
	Jobs       []string `yaml:"jobs"`
	jobsSet    bool
	// Files replaces single entries; a null value means the file must be
	// absent.
	Files map[string]*string `yaml:"files"`
	// StderrContains are substrings flowmake's stderr must contain (the
	// message of a load error, say).
	StderrContains []string `yaml:"stderr_contains"`
}

func (o *Override) UnmarshalYAML(n *yaml.Node) error {
	type plain Override
	if err := n.Decode((*plain)(o)); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "jobs" {
			o.jobsSet = true
		}
	}
	if _, ok := Differences[o.Difference]; !ok {
		return fmt.Errorf("line %d: flowmake_expect.difference %q is not a decided difference (%s)", n.Line, o.Difference, strings.Join(sortedKeys(Differences), ", "))
	}
	if !strings.Contains(o.Why, "docs/") {
		return fmt.Errorf("line %d: flowmake_expect.why must point at the doc that argues it (docs/differences.md)", n.Line)
	}
	if o.Exit != "" && o.Exit != ExitOK && o.Exit != ExitFail {
		return fmt.Errorf("line %d: flowmake_expect.exit is ok or fail, not %q", n.Line, o.Exit)
	}
	return nil
}

// Load reads the case in dir, and its expected.yaml when there is one.
func Load(dir string) (*Case, error) {
	c := &Case{Name: filepath.Base(dir), Dir: dir}
	if err := decodeFile(filepath.Join(dir, "case.yaml"), c); err != nil {
		return nil, err
	}
	for _, f := range []string{"Rulefile", "Snakefile"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("case %s: %w", c.Name, err)
		}
	}
	if len(c.Steps) == 0 {
		return nil, fmt.Errorf("case %s: no steps", c.Name)
	}
	for p := range c.Files {
		if err := checkRel(p); err != nil {
			return nil, fmt.Errorf("case %s: files: %w", c.Name, err)
		}
	}
	for i, s := range c.Steps {
		var paths []string
		switch {
		case s.Touch != nil:
			paths = []string{s.Touch.Path}
		case s.Write != nil:
			paths = []string{s.Write.Path}
		case len(s.Delete) > 0:
			paths = s.Delete
		}
		for _, e := range s.Edit {
			paths = append(paths, e.File)
		}
		for _, p := range paths {
			if err := checkRel(p); err != nil {
				return nil, fmt.Errorf("case %s: step %d: %w", c.Name, i+1, err)
			}
		}
	}
	exp := filepath.Join(dir, "expected.yaml")
	if _, err := os.Stat(exp); err == nil {
		c.Expected = new(Expected)
		if err := decodeFile(exp, c.Expected); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// LoadAll loads every case directory under root, in name order.
func LoadAll(root string) ([]*Case, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var cases []*Case
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		c, err := Load(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func decodeFile(name string, v any) error {
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// checkRel keeps every path a case names inside its working directory.
func checkRel(p string) error {
	if p == "" || path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") {
		return fmt.Errorf("path %q must be relative and inside the case", p)
	}
	return nil
}

func (c *Case) timeout() time.Duration {
	if c.TimeoutSeconds > 0 {
		return time.Duration(c.TimeoutSeconds * float64(time.Second))
	}
	return DefaultTimeout
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var errNoExpected = errors.New("not recorded yet: run scripts/record-conformance.sh")
