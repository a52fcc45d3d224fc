//go:build linux

package sensor

import "os/exec"

func execCommand(argv ...string) ([]byte, error) {
	return exec.Command(argv[0], argv[1:]...).CombinedOutput()
}
