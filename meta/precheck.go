package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"

	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"
)

// bbolt's on-disk layout, as far as checkFreelist needs it (bbolt
// internal/common: page.go, meta.go). Fields are in native byte order.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	freelistPageFlag = 0x10
	metaSumLen       = 56 // meta fields before the checksum
	noFreelist       = ^uint64(0)
	maxCheckedPage   = 1 << 16 // the largest page size bbolt supports
)

var native = binary.NativeEndian

type boltMeta struct {
	pageSize uint32
	freelist uint64
	hwm      uint64 // high water mark: first page id past the data
	txid     uint64
}

// checkFreelist validates the freelist of the database file at path with
// plain reads, before a writable bbolt Open. bbolt loads the freelist while
// opening for writing and panics on a damaged one after it mapped the file,
// which a recover cannot undo (the mapping keeps the file and its lock);
// worse, a freelist page with a valid header but wild page ids would have
// bbolt write pages anywhere. A missing or empty file, or one whose meta
// pages bbolt itself will reject, passes: bbolt creates the first and
// reports the second.
//
// It reads under a shared flock, as a bbolt reader would, so that a writer
// in another process cannot be caught half way through a commit (that
// would look like damage): if one holds the file past timeout, it returns
// bbolt's ErrTimeout. Damage is returned as a *CorruptError.
func checkFreelist(path string, timeout time.Duration) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bbolt creates it, or reports why it cannot
	}
	defer f.Close() // drops the flock before bbolt takes its own
	deadline := time.Now().Add(timeout)
	for {
		err := flock(f, unix.LOCK_SH|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return nil // let bbolt meet and report it
		}
		if time.Now().After(deadline) {
			return berrors.ErrTimeout
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := checkFreelistOf(f); err != nil {
		return &CorruptError{Path: path, Err: err}
	}
	return nil
}

func checkFreelistOf(f *os.File) error {
	m, ok := readMeta(f)
	if !ok || m.freelist == noFreelist {
		return nil
	}
	ps := int64(m.pageSize)
	if m.freelist < 2 || m.freelist >= m.hwm {
		return fmt.Errorf("freelist page %d is out of range", m.freelist)
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := f.ReadAt(hdr, int64(m.freelist)*ps); err != nil {
		return fmt.Errorf("read freelist page %d: %w", m.freelist, err)
	}
	id, flags := native.Uint64(hdr), native.Uint16(hdr[8:])
	count, overflow := int64(native.Uint16(hdr[10:])), int64(native.Uint32(hdr[12:]))
	if id != m.freelist || flags != freelistPageFlag {
		return fmt.Errorf("freelist page %d is damaged (id %d, flags %#x)", m.freelist, id, flags)
	}
	if overflow >= int64(m.hwm) {
		return fmt.Errorf("freelist page %d is damaged (overflow %d)", m.freelist, overflow)
	}
	size := (overflow + 1) * ps
	body := make([]byte, size-pageHeaderSize)
	if _, err := f.ReadAt(body, int64(m.freelist)*ps+pageHeaderSize); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read freelist page %d: %w", m.freelist, err)
	}
	skip := int64(0)
	if count == 0xFFFF { // the real count is in the first element
		count, skip = int64(native.Uint64(body)), 1
	}
	if (skip+count)*8 > int64(len(body)) {
		return fmt.Errorf("freelist page %d is damaged (count %d)", m.freelist, count)
	}
	for i := skip; i < skip+count; i++ {
		if p := native.Uint64(body[i*8:]); p < 2 || p >= m.hwm {
			return fmt.Errorf("freelist page %d is damaged (lists page %d)", m.freelist, p)
		}
	}
	return nil
}

// readMeta returns the newest valid meta page, as bbolt picks it.
func readMeta(f *os.File) (boltMeta, bool) {
	var best boltMeta
	found := false
	for _, off := range []int64{0, -1} {
		if off < 0 {
			off = int64(os.Getpagesize())
			if found {
				off = int64(best.pageSize)
			}
		}
		buf := make([]byte, pageHeaderSize+64)
		if _, err := f.ReadAt(buf, off); err != nil {
			continue
		}
		m := buf[pageHeaderSize:]
		h := fnv.New64a()
		h.Write(m[:metaSumLen])
		if native.Uint32(m) != boltMagic || native.Uint32(m[4:]) != boltVersion || native.Uint64(m[metaSumLen:]) != h.Sum64() {
			continue
		}
		cur := boltMeta{
			pageSize: native.Uint32(m[8:]),
			freelist: native.Uint64(m[32:]),
			hwm:      native.Uint64(m[40:]),
			txid:     native.Uint64(m[48:]),
		}
		if cur.pageSize < 512 || cur.pageSize > maxCheckedPage {
			continue
		}
		if !found || cur.txid > best.txid {
			best, found = cur, true
		}
	}
	return best, found
}
