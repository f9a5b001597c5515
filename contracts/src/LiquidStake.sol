// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SystemAddresses as Sys} from "./lib/SystemAddresses.sol";

/// @title LiquidStake
/// @notice The liquid staking token (LST): one unit per unit of native token bonded in
///         Staking. Minted and burned only by Staking; anyone may burn their own (Restaking
///         burns slashed stake). Predeployed without a constructor run, so the metadata is
///         constant rather than stored.
contract LiquidStake is ERC20 {
    error OnlyStaking();

    constructor() ERC20("", "") {}

    modifier onlyStaking() {
        if (msg.sender != Sys.STAKING) revert OnlyStaking();
        _;
    }

    function name() public pure override returns (string memory) {
        return "Liquid Staked Pharos";
    }

    function symbol() public pure override returns (string memory) {
        return "lsPHRS";
    }

    function mint(address to, uint256 amount) external onlyStaking {
        _mint(to, amount);
    }

    /// @notice Staking burns an unbonding staker's tokens (Staking passes its own caller).
    function burnFrom(address from, uint256 amount) external onlyStaking {
        _burn(from, amount);
    }

    /// @notice Burn your own tokens.
    function burn(uint256 amount) external {
        _burn(msg.sender, amount);
    }
}
