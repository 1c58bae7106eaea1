package exec

import (
	"bytes"
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDirectArgs(t *testing.T) {
	tests := []struct {
		command string
		want    []string // nil: bash runs it
	}{
		{"touch out/a.txt", []string{"touch", "out/a.txt"}},
		{"cp in/a.txt out/a.txt", []string{"cp", "in/a.txt", "out/a.txt"}},
		{"  touch x  ", []string{"touch", "x"}},
		{"touch\tx\t\ty", []string{"touch", "x", "y"}},
		{"/bin/echo a=b", []string{"/bin/echo", "a=b"}},
		{"gzip -9 --keep -S .gz,x a+b@c:d", []string{"gzip", "-9", "--keep", "-S", ".gz,x", "a+b@c:d"}},
		{"date +%s", []string{"date", "+%s"}},
		{"touch héllo/wörld.txt 日本", []string{"touch", "héllo/wörld.txt", "日本"}},
		{"./run.sh x", []string{"./run.sh", "x"}},
		{"tool x#y", nil}, // a # inside a word is literal to bash, but not plain
		{"", nil},
		{"   \t ", nil},
		{"FOO=1 cmd", nil},
		{"a=b", nil},
		{"./a=b x", nil},
		{"cmd #x", nil},
		{"cmd ~/x", nil},
		{"cmd --prefix=~/x", nil}, // bash expands a ~ after = too
		{"cmd a~b", nil},
		{"exec x", nil},
		{"echo a", nil}, // the builtin differs from /usr/bin/echo (--version)
		{"true", nil},
		{"test -f x", nil},
		{"[ -f x ]", nil},
		{"cd d", nil},
		{". x", nil},
		{"source x", nil},
		{"export A", nil},
		{"set -x", nil},
		{"exit 3", nil},
		{"if", nil},
		{"time sleep 1", nil},
		{"command ls", nil},
		{"login", nil},
		{"%1", nil},
		{"cat $x", nil},
		{"cat ${input}", nil},
		{"cat `x`", nil},
		{"cat *.txt", nil},
		{"cat a?.txt", nil},
		{"cat [ab].txt", nil},
		{"cat {a,b}.txt", nil},
		{"cat 'a b'", nil},
		{`cat "a"`, nil},
		{`cat a\ b`, nil},
		{"cat a > b", nil},
		{"cat < a", nil},
		{"a; b", nil},
		{"a && b", nil},
		{"a & ", nil},
		{"a | b", nil},
		{"(a)", nil},
		{"a\nb", nil},
		{"a\r", nil}, // \r is no blank to bash; not plain either
		{"! a", nil},
		{"a ^ b", nil},
		{"a\x00b", nil},
	}
	for _, tt := range tests {
		got, ok := directArgs(tt.command)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("directArgs(%q) = %q, %v; want %q", tt.command, got, ok, tt.want)
		}
	}
}

// withShellOnly runs f with the direct path turned off: the way every
// command ran before it.
func withShellOnly(f func()) {
	directExec = "off"
	defer func() { directExec = "on" }()
	f()
}

// executable writes an executable file into dir.
func executable(t *testing.T, dir, name, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

// A command runs the same whether exec'd directly or under bash: exit
// status, signal, output on both streams and in the capture, and the
// environment the program sees.
func TestDirectSameAsBash(t *testing.T) {
	dir := t.TempDir()
	executable(t, dir, "exit3", "#!/bin/sh\necho to-out; echo to-err >&2; exit 3\n", 0o755)
	executable(t, dir, "selfkill", "#!/bin/sh\nkill -KILL $$\n", 0o755)
	executable(t, dir, "noshebang", "echo no-shebang; exit 4\n", 0o755) // bash runs it as a script
	executable(t, dir, "plain", "#!/bin/sh\necho never\n", 0o644)
	executable(t, dir, "badinterp", "#!/flowmake/no/such/sh\n", 0o755)
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A directory in PATH with only a non-executable file of that name.
	noexec := filepath.Join(dir, "noexec")
	os.Mkdir(noexec, 0o755)
	executable(t, noexec, "flowmake-plain-tool", "#!/bin/sh\necho never\n", 0o644)

	tests := []struct {
		name     string
		command  string
		env      []string
		direct   bool // expected to skip bash
		exit     int
		signal   int
		inOutput string
	}{
		{"success", "/bin/true", nil, true, 0, 0, ""},
		{"failure", "/bin/false", nil, true, 1, 0, ""},
		{"exit 3 with output", "./exit3 a b", nil, true, 3, 0, "to-err"},
		{"stderr of a failing tool", "ls /flowmake/surely/missing", nil, true, 2, 0, "flowmake/surely/missing"},
		{"arguments", "/bin/echo  héllo\twörld   a=b ", nil, true, 0, 0, "héllo wörld a=b\n"},
		{"stdin is empty", "cat", nil, true, 0, 0, ""},
		{"environment", "env", nil, true, 0, 0, "PWD="},
		{"environment by path", "/usr/bin/env", []string{"SHLVL=5", "PWD=/", "FLOWMAKE_X=1", "FLOWMAKE_X=2"}, true, 0, 0, "FLOWMAKE_X=2"},
		{"killed by a signal", "./selfkill", nil, true, -1, 9, ""},
		{"missing program", "flowmake-surely-missing-program x", nil, false, 127, 0, "command not found"},
		{"missing path", "./flowmake-missing", nil, true, 127, 0, "No such file or directory"},
		{"not executable", "./plain", nil, true, 126, 0, "Permission denied"},
		{"not executable in PATH", "flowmake-plain-tool", []string{"PATH=" + noexec + ":" + os.Getenv("PATH")}, false, 126, 0, "Permission denied"},
		{"a directory", "./subdir", nil, true, 126, 0, "Is a directory"},
		{"no #! line", "./noshebang", nil, true, 4, 0, "no-shebang"},
		{"bad interpreter", "./badinterp", nil, true, 127, 0, "required file not found"}, // bash 5.2's words
		{"BASH_ENV keeps bash", "env", []string{"BASH_ENV=/dev/null"}, false, 0, 0, "BASH_ENV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := Spec{Command: tt.command, Dir: dir, Env: tt.env, Capture: "cap/" + strings.ReplaceAll(tt.name, " ", "-") + ".log"}
			probe := osexec.Command("bash")
			probe.Dir, probe.Env = dir, append(os.Environ(), tt.env...)
			if _, ok := directCmd(probe, spec, ""); ok != tt.direct {
				t.Errorf("direct = %v, want %v", ok, tt.direct)
			}
			type outcome struct {
				exit, signal   int
				stdout, stderr string
				capture        string
			}
			do := func() outcome {
				var stdout, stderr bytes.Buffer
				r := Local{Stdout: &stdout, Stderr: &stderr}.Run(context.Background(), spec)
				if r.Err != nil {
					t.Fatalf("%s: %v", tt.command, r.Err)
				}
				capture, _ := os.ReadFile(filepath.Join(dir, spec.Capture))
				// Two pipes into one capture: their order is the scheduler's.
				o := outcome{r.ExitCode, r.Signal, stdout.String(), stderr.String(), sortedLines(string(capture))}
				if tt.name == "environment" || tt.name == "environment by path" {
					o.stdout = sortedLines(o.stdout) // env's order is of no matter
					o.capture = ""
				}
				return o
			}
			direct := do()
			var shell outcome
			withShellOnly(func() { shell = do() })
			if direct != shell {
				t.Errorf("direct and bash differ:\ndirect %+v\nbash   %+v", direct, shell)
			}
			if direct.exit != tt.exit || direct.signal != tt.signal {
				t.Errorf("exit %d signal %d, want exit %d signal %d", direct.exit, direct.signal, tt.exit, tt.signal)
			}
			if !strings.Contains(direct.stdout+direct.stderr, tt.inOutput) {
				t.Errorf("output %q lacks %q", direct.stdout+direct.stderr, tt.inOutput)
			}
		})
	}
}

func sortedLines(s string) string {
	l := strings.Split(s, "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

// Without SHLVL in the environment, bash exports SHLVL=0 to what it
// execs; the direct path does the same.
func TestDirectEnvWithoutSHLVL(t *testing.T) {
	t.Setenv("SHLVL", "1") // restored afterwards
	os.Unsetenv("SHLVL")
	dir := t.TempDir()
	var direct, shell bytes.Buffer
	spec := Spec{Command: "env", Dir: dir}
	Local{Stdout: &direct, Stderr: &direct}.Run(context.Background(), spec)
	withShellOnly(func() { Local{Stdout: &shell, Stderr: &shell}.Run(context.Background(), spec) })
	if d, s := sortedLines(direct.String()), sortedLines(shell.String()); d != s || !strings.Contains(d, "SHLVL=0") {
		t.Errorf("direct:\n%s\nbash:\n%s", d, s)
	}
}

func TestDirectEnvKeepsBash(t *testing.T) {
	for _, env := range [][]string{
		{"BASH_ENV=/x"}, {"SHELLOPTS=xtrace"}, {"BASHOPTS=x"}, {"POSIXLY_CORRECT=1"}, {"BASH_FUNC_touch%%=() { :; }"},
		{"SHLVL=999"}, {"SHLVL=abc"}, {"SHLVL=07"}, {"SHLVL=-1"},
	} {
		if _, ok := directEnv(append([]string{"PATH=/bin"}, env...), t.TempDir()); ok {
			t.Errorf("%q: direct, want bash", env)
		}
	}
	for _, path := range []string{"PATH=", "PATH=/bin:", "PATH=.:/bin", "PATH=bin:/bin"} {
		if _, ok := lookPath("ls", []string{path}); ok {
			t.Errorf("%q: found ls, want bash to look", path)
		}
	}
	if _, ok := lookPath("ls", nil); ok {
		t.Error("no PATH: found ls, want bash to look")
	}
	if p, ok := lookPath("ls", []string{"PATH=/flowmake/none:/bin/:/usr/bin"}); !ok || p != "/bin/ls" {
		t.Errorf("lookPath = %q, %v; want /bin/ls", p, ok)
	}
}

// A cancelled job gets SIGTERM as under bash: bash would have exec'd
// sleep, which dies of it either way.
func TestDirectCancelled(t *testing.T) {
	dir := t.TempDir()
	do := func() Result {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		return Local{Grace: 2 * time.Second}.Run(ctx, Spec{Command: "sleep 5", Dir: dir})
	}
	direct := do()
	var shell Result
	withShellOnly(func() { shell = do() })
	for name, r := range map[string]Result{"direct": direct, "bash": shell} {
		if r.Signal != 15 || r.Err == nil || r.End.Sub(r.Start) > 2*time.Second {
			t.Errorf("%s: signal %d err %v after %v; want SIGTERM, interrupted, at once", name, r.Signal, r.Err, r.End.Sub(r.Start))
		}
	}
}

// A long command keeps running from its file, under bash.
func TestDirectNotForLongCommand(t *testing.T) {
	spec := Spec{Command: "touch " + strings.Repeat("a", maxArgCommand+1), Dir: t.TempDir()}
	probe := osexec.Command("bash")
	probe.Env = os.Environ()
	if _, ok := directCmd(probe, spec, "/tmp/cmd.sh"); ok {
		t.Error("a long command read from file went direct")
	}
	if _, ok := directCmd(probe, Spec{Command: "touch x", Script: "x.sh"}, ""); ok {
		t.Error("a script went direct")
	}
}
