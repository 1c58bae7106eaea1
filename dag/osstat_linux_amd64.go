package dag

import (
	"bytes"
	"syscall"
	"unsafe"
)

// stat is syscall.Stat of d.dir.Path(name) into st. With buf it builds
// the path's C string in *buf instead (syscall.Stat allocates one per
// call, and Path another for the join).
func (d osStat) stat(name string, buf *[]byte, st *syscall.Stat_t) error {
	if buf == nil {
		return syscall.Stat(d.dir.Path(name), st)
	}
	b := (*buf)[:0]
	if d.joined(name) {
		b = append(append(b, d.prefix...), name...)
	} else {
		b = append(b, d.dir.Path(name)...)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return syscall.EINVAL // as syscall.Stat: no C string holds it
	}
	b = append(b, 0)
	*buf = b
	// b is on the heap, kept alive for the call by the conversion in the
	// argument list (the syscall.Syscall rule of package unsafe).
	fd := atFDCWD
	_, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(fd),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// atFDCWD is AT_FDCWD: a path relative to the working directory.
const atFDCWD = -0x64
