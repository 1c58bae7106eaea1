package dag

import (
	"math"
	"syscall"
)

// The seconds whose nanoseconds fit in an int64, with a second to spare.
const (
	minSec = math.MinInt64/1_000_000_000 + 1
	maxSec = math.MaxInt64/1_000_000_000 - 1
)

// mtime is statTime for the real disk without os.Stat's FileInfo: one
// allocation less per file, which at a million outputs is a good part of
// the garbage a no-op makes. ok is false for a time beyond int64
// nanoseconds, which statTime leaves to os.Stat and unixNano.
func (d osStat) mtime(name string) (t int64, ok bool) { return d.mtimeBuf(name, nil) }

// mtimeBuf is mtime building the path's C string in *buf, which the
// caller keeps for its next call, instead of allocating the path and its
// C string per file (prefetchOutputs stats every output). buf nil
// allocates as before.
func (d osStat) mtimeBuf(name string, buf *[]byte) (t int64, ok bool) {
	var st syscall.Stat_t
	for {
		err := d.stat(name, buf, &st)
		if err == syscall.EINTR {
			continue // as os.Stat
		}
		if err != nil {
			return absent, true
		}
		if sec := int64(st.Mtim.Sec); sec <= minSec || sec >= maxSec {
			return 0, false // beyond int64 nanoseconds: unixNano decides
		}
		return int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), true
	}
}
