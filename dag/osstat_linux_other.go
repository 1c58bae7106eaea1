//go:build linux && !amd64

package dag

import "syscall"

// stat is syscall.Stat of d.dir.Path(name) into st; only amd64 builds the
// C string in buf.
func (d osStat) stat(name string, _ *[]byte, st *syscall.Stat_t) error {
	return syscall.Stat(d.dir.Path(name), st)
}
