// Command kfake runs franz-go's in-memory fake Kafka broker (pkg/kfake) for
// tests: a single broker on 127.0.0.1 with auto topic creation enabled.
//
//	kfake -port 9092 -topics orders,events -partitions 3
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 9092, "port to listen on (127.0.0.1); 0 picks a free one")
	topics := flag.String("topics", "", "comma-separated topics to create at startup")
	partitions := flag.Int("partitions", 3, "partitions for seeded and auto-created topics")
	verbose := flag.Bool("v", false, "log broker warnings/errors to stderr")
	flag.Parse()

	opts := []kfake.Opt{
		kfake.Ports(*port), // one port => one broker
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions),
	}
	if *verbose {
		opts = append(opts, kfake.WithLogger(kfake.BasicLogger(os.Stderr, kfake.LogLevelWarn)))
	}
	var seed []string
	for _, t := range strings.Split(*topics, ",") {
		if t = strings.TrimSpace(t); t != "" {
			seed = append(seed, t)
		}
	}
	if len(seed) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(*partitions), seed...))
	}

	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	// The listener is bound once NewCluster returns, so we are ready now.
	fmt.Printf("kfake listening on %s\n", c.ListenAddrs()[0])

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
	c.Close()
}
