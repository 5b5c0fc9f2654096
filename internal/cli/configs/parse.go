package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/kafkakit/kafkakit/internal/cli"
	"github.com/kafkakit/kafkakit/internal/config"
)

// addedConfigs are the configs --add-config or --add-config-file set, keyed
// by name, with keys in the order ConfigCommand iterates its immutable map
// of them.
type addedConfigs struct {
	keys   scalaSet
	values map[string]string
}

func (a addedConfigs) has(k string) bool { _, ok := a.values[k]; return ok }

// configKeyChars is the pattern ConfigCommand checks every added key with.
var configKeyChars = regexp.MustCompile(`^[a-zA-Z0-9._-]*$`)

// parseAdded reads --add-config-file and --add-config as Kafka 3.9's
// parseConfigsToBeAdded does: the file first (a Java properties file, no
// bracket handling), then the option, a warning on stdout for
// message.format.version, then every key checked for illegal characters.
func (o *Options) parseAdded() (addedConfigs, error) {
	var keys []string
	values := map[string]string{}
	set := func(k, v string) {
		keys = append(keys, k)
		values[k] = v
	}
	if o.AddConfigFile.Given() {
		path, err := o.AddConfigFile.Get()
		if err != nil {
			return addedConfigs{}, cli.Errorf("%s", err)
		}
		props, err := loadProps(path)
		if err != nil {
			return addedConfigs{}, err
		}
		for _, k := range propertiesOrder(props.Keys()) {
			v, _ := props.Get(k)
			set(k, v)
		}
	}
	if o.AddConfig.Given() {
		s, err := o.AddConfig.Get()
		if err != nil {
			return addedConfigs{}, cli.Errorf("%s", err)
		}
		entries, err := config.ParseAddConfig(s)
		if err != nil {
			return addedConfigs{}, cli.Errorf("%s", err)
		}
		for _, e := range entries {
			set(e.Key, e.Value)
		}
	}
	keys = propertiesOrder(keys)
	if v, ok := values["message.format.version"]; ok {
		fmt.Fprintf(o.IO.Out, "WARNING: The configuration message.format.version=%s is specified. "+
			"This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker or "+
			"if the inter.broker.protocol.version is 3.0 or newer. This configuration is deprecated and it will be removed in Apache Kafka 4.0.\n", v)
	}
	for _, k := range keys {
		if !configKeyChars.MatchString(k) {
			return addedConfigs{}, cli.Errorf("Invalid character found for config key: %s", k)
		}
	}
	return addedConfigs{keys: newScalaSet(keys...), values: values}, nil
}

// parseDeleted reads every --delete-config value, split at commas the way
// jopt-simple's withValuesSeparatedBy(',') splits (empty pieces vanish; a
// value that is all commas stays whole), each trimmed.
func (o *Options) parseDeleted() []string {
	var out []string
	for _, v := range o.DeleteConfig.Values() {
		var pieces []string
		for _, p := range strings.Split(v, ",") {
			if p != "" {
				pieces = append(pieces, p)
			}
		}
		if len(pieces) == 0 {
			pieces = []string{v}
		}
		for _, p := range pieces {
			out = append(out, cli.JavaTrim(p))
		}
	}
	return out
}

// loadProps reads a properties file as Kafka's Utils.loadProps does; an
// unreadable file is the java.nio exception Kafka would show.
func loadProps(path string) (*cli.Properties, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &javaError{class: "java.io.IOException", msg: "Is a directory"}
	}
	props, err := cli.ParseProperties(f)
	if err != nil {
		return nil, &javaError{class: "java.io.IOException", msg: err.Error()}
	}
	return props, nil
}

func fileError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &javaError{class: "java.nio.file.NoSuchFileException", msg: path}
	case errors.Is(err, fs.ErrPermission):
		return &javaError{class: "java.nio.file.AccessDeniedException", msg: path}
	}
	return &javaError{class: "java.nio.file.FileSystemException", msg: path + ": " + err.Error()}
}

// scramCredential is one SCRAM-SHA-256/512 value of --add-config for users:
// "[iterations=N,]password=P".
type scramCredential struct {
	mechanism  string
	iterations int32
	password   string
}

var scramValue = regexp.MustCompile(`^(?:iterations=(-?[0-9]*),)?password=(.*)$`)

// scramMinIterations is Kafka's ScramMechanism.minIterations for both
// mechanisms; it is also the default.
const scramMinIterations = 4096

// parseScram reads a SCRAM credential value as ConfigCommand does. Its
// errors are Kafka's: "Invalid credential property SCRAM_SHA_256=..." for a
// value that does not match, Java's NumberFormatException text for
// iterations that are not an int, and the minimum check.
func parseScram(mechanism, value string) (scramCredential, error) {
	m := scramValue.FindStringSubmatchIndex(value)
	if m == nil {
		return scramCredential{}, cli.Errorf("Invalid credential property %s=%s", strings.ReplaceAll(mechanism, "-", "_"), value)
	}
	iterations := int64(scramMinIterations)
	// The iterations group takes part in the match only when given.
	if m[2] >= 0 {
		if it := value[m[2]:m[3]]; it != "-1" {
			n, err := strconv.ParseInt(it, 10, 32)
			if err != nil {
				return scramCredential{}, cli.Errorf("For input string: \"%s\"", it)
			}
			iterations = n
		}
	}
	password := value[m[4]:m[5]]
	if iterations < scramMinIterations {
		return scramCredential{}, cli.Errorf("Iterations %d is less than the minimum %d required for %s", iterations, scramMinIterations, mechanism)
	}
	return scramCredential{mechanism: mechanism, iterations: int32(iterations), password: password}, nil
}

// isScram is Kafka's ScramMechanism.isScram.
func isScram(k string) bool { return k == "SCRAM-SHA-256" || k == "SCRAM-SHA-512" }

// isUserOrClientQuota is Kafka's QuotaConfigs.isClientOrUserQuotaConfig.
func isUserOrClientQuota(k string) bool {
	for _, n := range config.ClientConfigNames() {
		if n == k {
			return true
		}
	}
	return false
}

func isIPQuota(k string) bool {
	for _, n := range config.IPConfigNames() {
		if n == k {
			return true
		}
	}
	return false
}
