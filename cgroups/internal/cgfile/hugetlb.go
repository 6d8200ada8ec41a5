package cgfile

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HugePageSizes lists the huge page sizes of the host in the form the spec
// and the hugetlb controller file names use: "2MB", "1GB".
func HugePageSizes() ([]string, error) {
	entries, err := os.ReadDir("/sys/kernel/mm/hugepages")
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read /sys/kernel/mm/hugepages: %w", err)
	}
	var sizes []string
	for _, e := range entries {
		s, err := PageSizeName(e.Name())
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, s)
	}
	return sizes, nil
}

// PageSizeName turns "hugepages-2048kB" into "2MB".
func PageSizeName(dirName string) (string, error) {
	num, ok := strings.CutPrefix(dirName, "hugepages-")
	num, ok2 := strings.CutSuffix(num, "kB")
	kb, err := strconv.ParseUint(num, 10, 64)
	if !ok || !ok2 || err != nil {
		return "", fmt.Errorf("unexpected huge page dir %q", dirName)
	}
	switch {
	case kb >= 1<<20 && kb%(1<<20) == 0:
		return strconv.FormatUint(kb>>20, 10) + "GB", nil
	case kb >= 1<<10 && kb%(1<<10) == 0:
		return strconv.FormatUint(kb>>10, 10) + "MB", nil
	default:
		return strconv.FormatUint(kb, 10) + "KB", nil
	}
}
