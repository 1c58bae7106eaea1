package meta

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const holdLockEnv = "FLOWMAKE_META_TEST_HOLD_LOCK"

// TestHelperHoldLock is not a test: run by TestLockOtherProcess in a child
// process, it takes the lock, says so and waits to be killed.
func TestHelperHoldLock(t *testing.T) {
	dir := os.Getenv(holdLockEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := Lock(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(1)
}

func TestLockOtherProcess(t *testing.T) {
	dir := metaDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	before := time.Now()
	_, err = Lock(dir)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock while held: %T %v", err, err)
	}
	if le.Pid != cmd.Process.Pid || le.Since.After(before) || before.Sub(le.Since) > time.Minute {
		t.Errorf("LockedError %+v, want pid %d", le, cmd.Process.Pid)
	}
	want := fmt.Sprintf("locked by flowmake pid %d since %s", cmd.Process.Pid, le.Since.Format(time.RFC3339))
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "another flowmake is running in this directory") {
		t.Errorf("message %q, want prefix %q and the hint", err, want)
	}

	// kill -9: the kernel drops the lock with the process.
	must(t, cmd.Process.Kill())
	cmd.Wait()
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("lock of a killed process still blocks: %v", err)
	}
	must(t, l.Release())
}

func TestLockSameProcess(t *testing.T) {
	dir := metaDir(t)
	l, err := Lock(dir)
	must(t, err)
	b, _ := os.ReadFile(filepath.Join(dir, LockName))
	lines := strings.Split(string(b), "\n")
	if len(lines) != 3 || lines[0] != fmt.Sprint(os.Getpid()) || lines[2] != "" {
		t.Errorf("lock file %q", b)
	}
	if _, err := time.Parse(time.RFC3339, lines[1]); err != nil {
		t.Errorf("lock time: %v", err)
	}

	_, err = Lock(dir) // a second open file description conflicts
	var le *LockedError
	if !errors.As(err, &le) || le.Pid != os.Getpid() {
		t.Fatalf("second Lock: %T %v", err, err)
	}

	must(t, l.Release())
	must(t, l.Release())
	if b, _ := os.ReadFile(filepath.Join(dir, LockName)); len(b) != 0 {
		t.Errorf("Release left %q", b)
	}
	l2, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	must(t, l2.Release())
}

func TestLockedErrorWithoutHolder(t *testing.T) {
	e := &LockedError{Path: ".flowmake/lock"}
	if got := e.Error(); !strings.HasPrefix(got, "locked by another flowmake process (.flowmake/lock)") {
		t.Errorf("%q", got)
	}
}

func TestLockBlockedDirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, ".flowmake")
	must(t, os.WriteFile(dir, nil, 0o644))
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Lock with a file in the way: %v", err)
	}
}
