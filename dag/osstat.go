package dag

import (
	"io/fs"
	"os"

	"github.com/flowmake/flowmake/workdir"
)

// OSStat is the real disk: names are job paths, which workdir.Dir(dir)
// turns into OS paths ("" means the process's working directory). It can
// also list a directory, which error messages use for "did you mean".
func OSStat(dir string) Stat { return osStat{workdir.Dir(dir)} }

type osStat struct{ dir workdir.Dir }

func (d osStat) Stat(name string) (fs.FileInfo, error) { return os.Stat(d.dir.Path(name)) }

func (d osStat) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(d.dir.Path(name)) }
