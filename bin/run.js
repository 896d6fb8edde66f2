#!/usr/bin/env node
// The warden CLI (compiled sources in dist/).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
