package exec

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A command with no shell syntax at all is exec'd directly, as GNU make
// does (job.c, construct_command_argv_internal): for `touch out/a.txt`,
// `bash -euo pipefail -c` would do nothing but look up touch in PATH and
// exec it in place of itself (bash's last simple command runs without a
// fork), so the exit status, the signal and the process tree are the
// same without bash, and a fan of thousands of small jobs saves a bash
// start per job.
//
// The rule is stricter than make's: make parses quotes and backslashes
// itself; here any character but the plain ones below sends the command
// to bash, and so does anything whose meaning bash could change: a
// builtin or keyword as the first word, an assignment, a job spec, an
// environment that makes bash run code of its own at start (BASH_ENV,
// exported functions) or behave otherwise (SHELLOPTS, BASHOPTS,
// POSIXLY_CORRECT), or a PATH with relative entries (bash searches them
// from the job's directory). Whatever bash would report
// itself (not found, not executable, a script without #!) is left to
// bash: the program is looked up first, and a failed exec falls back to
// bash, which then prints its own message and exits 127 or 126.

// directExec turns the direct path off when "off"; set at build time
// only (-ldflags "-X github.com/flowmake/flowmake/exec.directExec=off"),
// so bench/direct.sh can compare both ways from one tree.
var directExec = "on"

// plainByte marks the bytes a direct command may hold besides space and
// tab: none has a meaning to bash in a word (no quoting, expansion,
// globbing, redirection, operator, comment or history). Bytes from 0x80
// are parts of non-ASCII characters, which bash never splits at.
var plainByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for _, c := range "-_./,+:@%=" {
		t[c] = true
	}
	return t
}()

// shellWords are first words bash itself gives a meaning: its builtins
// and keywords (bash 5.2, `compgen -b` and `compgen -k`; a builtin may
// differ from the program of the same name, as echo does from
// /usr/bin/echo), and make's list of the same (job.c sh_cmds), which adds
// login. Those run under bash.
var shellWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		. : [ alias bg bind break builtin caller cd command compgen complete
		compopt continue declare dirs disown echo enable eval exec exit export
		false fc fg getopts hash help history jobs kill let local logout
		mapfile popd printf pushd pwd read readarray readonly return set shift
		shopt source suspend test times trap true type typeset ulimit umask
		unalias unset wait
		if then else elif fi case esac for select while until do done in
		function time { } ! [[ ]] coproc
		login`) {
		m[w] = true
	}
	return m
}()

// directArgs returns the words of command when bash would run it as one
// program with those arguments and nothing else; ok is false when the
// command needs bash.
func directArgs(command string) (words []string, ok bool) {
	start := -1
	for i := 0; i <= len(command); i++ {
		if i < len(command) && command[i] != ' ' && command[i] != '\t' {
			if !plainByte[command[i]] {
				return nil, false
			}
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			words = append(words, command[start:i])
			start = -1
		}
	}
	if len(words) == 0 {
		return nil, false
	}
	first := words[0]
	// A= before the command is an assignment; %1 is a job spec.
	if shellWords[first] || strings.ContainsRune(first, '=') || first[0] == '%' {
		return nil, false
	}
	return words, true
}

// startDirect starts the program of spec's command without bash, with
// the environment bash would have given it, and reports whether it did.
// When it did not, nothing ran and bashCmd is still to be started.
func startDirect(bashCmd *osexec.Cmd, spec Spec, file string) (*osexec.Cmd, bool) {
	cmd, ok := directCmd(bashCmd, spec, file)
	if !ok {
		return nil, false
	}
	if err := cmd.Start(); err != nil {
		// The exec failed (no #! line, a directory, a bad interpreter):
		// nothing ran; bash does what it does with such a file.
		return nil, false
	}
	return cmd, true
}

// directCmd is bashCmd without bash, when spec's command allows it.
func directCmd(bashCmd *osexec.Cmd, spec Spec, file string) (*osexec.Cmd, bool) {
	if directExec == "off" || spec.Script != "" || file != "" {
		return nil, false // a script, or a long command read from file
	}
	words, ok := directArgs(spec.Command)
	if !ok {
		return nil, false
	}
	env, ok := directEnv(bashCmd.Env, bashCmd.Dir)
	if !ok {
		return nil, false
	}
	path, ok := lookPath(words[0], env)
	if !ok {
		return nil, false // bash says "command not found" (127) or "Permission denied" (126)
	}
	return &osexec.Cmd{
		Path:        path,
		Args:        words,
		Dir:         bashCmd.Dir,
		Env:         append(env, "_="+path), // bash exports $_ as the program's path
		Stdin:       bashCmd.Stdin,
		Stdout:      bashCmd.Stdout,
		Stderr:      bashCmd.Stderr,
		SysProcAttr: bashCmd.SysProcAttr,
	}, true
}

// directEnv is the environment bash passes to the program it execs:
// env's last value of each variable (as os/exec keeps), PWD reset to the
// working directory unless it already names it, and SHLVL as bash leaves
// it (raised at start, lowered again for the exec). ok is false when bash
// would run code of its own first (BASH_ENV, exported functions), trace
// (SHELLOPTS, BASHOPTS), rewrite PWD (POSIXLY_CORRECT) or warn about
// SHLVL: such jobs keep bash.
func directEnv(env []string, dir string) ([]string, bool) {
	last := make(map[string]int, len(env))
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "BASH_ENV" || k == "SHELLOPTS" || k == "BASHOPTS" || k == "POSIXLY_CORRECT" || strings.HasPrefix(k, "BASH_FUNC_") {
			return nil, false
		}
		last[k] = i
	}
	out := make([]string, 0, len(env)+2)
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if last[k] != i || k == "_" {
			continue
		}
		switch k {
		case "PWD":
			continue // below
		case "SHLVL":
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 998 || strconv.Itoa(n) != v {
				return nil, false
			}
		}
		out = append(out, kv)
	}
	if _, ok := last["SHLVL"]; !ok {
		out = append(out, "SHLVL=0")
	}
	pwd, ok := bashPWD(env, last, dir)
	if !ok {
		return nil, false
	}
	return append(out, "PWD="+pwd), true
}

// bashPWD is PWD as bash sets it at start: the inherited value when it is
// absolute and names the working directory, else the physical path.
func bashPWD(env []string, last map[string]int, dir string) (string, bool) {
	wd, err := filepath.Abs(dir) // dir "" is ours
	if err != nil {
		return "", false
	}
	here, err := os.Stat(wd)
	if err != nil {
		return "", false
	}
	if i, ok := last["PWD"]; ok {
		if v := env[i][len("PWD="):]; strings.HasPrefix(v, "/") {
			if fi, err := os.Stat(v); err == nil && os.SameFile(fi, here) {
				return v, true
			}
		}
	}
	phys, err := filepath.EvalSymlinks(wd)
	if err != nil {
		return "", false
	}
	return phys, true
}

// lookPath finds name as bash does: a name with a slash as it is
// (relative to the job's directory, where the child starts), else the
// first executable file, not a directory, in PATH's directories. ok is
// false when there is none, or PATH is unset or has a relative or empty
// entry (bash would search those from the job's directory): bash then
// looks for itself.
func lookPath(name string, env []string) (string, bool) {
	if strings.Contains(name, "/") {
		return name, true
	}
	path, found := "", false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path, found = v, true
		}
	}
	if !found {
		return "", false
	}
	dirs := strings.Split(path, ":")
	for _, d := range dirs {
		if !strings.HasPrefix(d, "/") {
			return "", false
		}
	}
	for _, d := range dirs {
		p := strings.TrimSuffix(d, "/") + "/" + name // bash's spelling, for $_
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && syscall.Access(p, 1) == nil {
			return p, true
		}
	}
	return "", false
}
