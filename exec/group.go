package exec

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// groupAlive reports whether process group pgid still has a process
// that runs. A member that has died but is not reaped yet (a zombie whose
// parent, the job's shell, died first and left it to init) does not
// count: it holds nothing and will never exit more than it has, and
// waiting for a slow reaper would make an interrupted run wait out the
// grace period for nothing. Where /proc cannot be read, any member
// counts, as kill(2) sees it.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) == syscall.ESRCH {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// After the parenthesised command: state ppid pgrp ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			return true
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 {
			return true
		}
		if g, err := strconv.Atoi(string(f[2])); err == nil && g == pgid && string(f[0]) != "Z" {
			return true
		}
	}
	return false
}
