/** A product's inventory as every layer speaks of it: its status and the state a writer plans from. */

export type InventoryStatus = 'active' | 'inactive' | 'locked';
export const inventoryStatuses: readonly InventoryStatus[] = ['active', 'inactive', 'locked'];

/** What an actor knows of one product: a copy of its row at `version`. */
export interface ProductState {
  productId: number;
  stock: number;
  reserved: number;
  version: number;
  status: InventoryStatus;
  minStock: number;
  maxStock: number;
}

/** The fields an operator update may change; null leaves a field as it is. */
export interface ProductChanges {
  productName: string | null;
  status: InventoryStatus | null;
  minStock: number | null;
  maxStock: number | null;
  /** The new stock (absolute); the log row carries the difference. */
  stock: number | null;
}

/** A whole inventory row, as a commit left it. */
export interface InventoryRecord {
  productId: number;
  productName: string;
  stock: number;
  reserved: number;
  available: number;
  version: number;
  status: InventoryStatus;
  minStock: number;
  maxStock: number;
  createdAt: Date;
  updatedAt: Date;
}
