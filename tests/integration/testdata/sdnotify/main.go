// Command sdnotify is a test helper for the NOTIFY_SOCKET proxy:
// "sdnotify send MSG" sends MSG to $NOTIFY_SOCKET (inside the container);
// "sdnotify recv PATH" binds PATH and prints each datagram until READY=1.
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdnotify send MSG | recv PATH")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "send":
		c, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
		if err == nil {
			_, err = c.Write([]byte(os.Args[2]))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdnotify:", err)
			os.Exit(1)
		}
	case "recv":
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: os.Args[2], Net: "unixgram"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdnotify:", err)
			os.Exit(1)
		}
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				fmt.Fprintln(os.Stderr, "sdnotify:", err)
				os.Exit(1)
			}
			fmt.Println(string(buf[:n]))
			if strings.Contains(string(buf[:n]), "READY=1") {
				return
			}
		}
	default:
		os.Exit(2)
	}
}
