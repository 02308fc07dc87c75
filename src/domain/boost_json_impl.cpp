// Boost.JSON's implementation, compiled once here with the project's flags (header-only mode).
#include <boost/json/src.hpp>
