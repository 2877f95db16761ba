// A shared library without ssmc's entry points.
extern "C" __attribute__((visibility("default"))) int not_a_plugin() { return 0; }
