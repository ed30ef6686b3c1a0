/// The C contract (goldfish_plugin.h) comes with the SDK: a plugin's entry point names
/// `gf_host_api` with `import PluginKit` alone, whatever package it lives in.
@_exported import PluginABI
