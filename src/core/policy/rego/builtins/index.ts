// Loads every builtin family into the default registry; import this module (not the families)
// to get the complete set. Adding a family = one file under builtins/ plus one line here.

import './comparison.js';
import './arithmetic.js';
import './aggregates.js';
import './arrays.js';
import './sets.js';
import './objects.js';
import './strings.js';
import './types.js';
import './casts.js';
import './encoding.js';
import './regex.js';
import './glob.js';
import './time.js';
import './units.js';
import './net.js';
import './semver.js';
import './crypto.js';
import './jwt.js';
import './misc.js';

export {
  BuiltinError,
  BuiltinRegistry,
  T,
  createBuiltinContext,
  defaultRegistry,
  invoke,
  isBuiltinError,
  seededRandom,
  type BuiltinContext,
  type BuiltinContextOptions,
  type BuiltinDefinition,
  type BuiltinErrorCode,
  type BuiltinImpl,
  type RegoType,
} from './registry.js';
